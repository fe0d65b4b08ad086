"""The private calendar feed, outside /admin/crm/: a personal setting (like API tokens) that
read-only users may manage too, and a URL that calendar apps fetch without a session."""

from django.urls import path

from forgecrm.events import views

app_name = "calendar_feed"
urlpatterns = [
    path("feed/", views.feed_settings, name="settings"),
    path("<str:token>.ics", views.feed_ics, name="ics"),
]
