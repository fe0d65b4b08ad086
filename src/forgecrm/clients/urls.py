from django.urls import path

from forgecrm.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("trash/", views.client_trash, name="trash"),
    path("trash/<int:pk>/restore/", views.client_restore, name="restore"),
    path("trash/contacts/<int:pk>/restore/", views.contact_restore, name="contact-restore"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/delete/", views.client_delete, name="delete"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("<int:pk>/documents/", views.document_add, name="document-add"),
    path(
        "<int:pk>/documents/<int:document_id>/",
        views.document_download,
        name="document-download",
    ),
    path(
        "<int:pk>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="document-delete",
    ),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
]
