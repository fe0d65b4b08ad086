"""The email pages: history, detail, composer (at admin/crm/emails/) and the templates
(at admin/crm/email-templates/, see `template_patterns`)."""

from django.urls import path

from forgecrm.emails import views

app_name = "emails"
urlpatterns = [
    path("", views.email_list, name="list"),
    path("export.csv", views.email_export, name="export"),
    path("analytics/", views.email_analytics, name="analytics"),
    path("compose", views.compose, name="compose"),
    path("compose/preview", views.compose_preview, name="compose_preview"),
    path("contacts.json", views.contact_search, name="contact_search"),
    path("clients.json", views.client_search, name="client_search"),
    path("suppressions/", views.suppression_list, name="suppressions"),
    path("suppressions/<int:pk>/clear", views.suppression_clear, name="suppression_clear"),
    path("<int:pk>/", views.email_detail, name="detail"),
    path(
        "<int:pk>/attachments/<int:attachment_id>",
        views.attachment_download,
        name="attachment",
    ),
]

template_patterns = (
    [
        path("", views.template_list, name="list"),
        path("new", views.template_create, name="create"),
        path("preview", views.template_preview, name="preview"),
        path("<int:pk>/", views.template_edit, name="edit"),
        path("<int:pk>/delete", views.template_delete, name="delete"),
    ],
    "email_templates",
)
