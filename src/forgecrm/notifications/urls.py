"""Mounted at /admin/crm/notifications/."""

from django.urls import path

from forgecrm.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("dropdown/", views.dropdown, name="dropdown"),
    path("alerts/", views.alerts, name="alerts"),
    path("read-all/", views.read_all, name="read-all"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.read, name="read"),
    path("not-contacted/", views.not_contacted, name="not-contacted"),
    path("not-contacted/widget/", views.not_contacted_widget, name="not-contacted-widget"),
    path("settings/", views.settings_page, name="settings"),
]
