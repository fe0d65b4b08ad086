"""The mailbox pages, at admin/crm/mailbox/."""

from django.urls import path

from forgecrm.mailbox import views

app_name = "mailbox"
urlpatterns = [
    path("", views.status, name="status"),
    path("runs", views.runs, name="runs"),
    path("read", views.read_now, name="read"),
    path("rescan", views.rescan, name="rescan"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("failed/", views.failed, name="failed"),
    path("ignore", views.ignore, name="ignore"),
    path("contacts", views.contact_options, name="contact_options"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/assign", views.assign, name="assign"),
]
