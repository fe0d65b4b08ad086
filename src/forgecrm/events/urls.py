from django.urls import path

from forgecrm.events import views

app_name = "events"
urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("events/new/", views.event_create, name="create"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("events/<int:pk>/delete/", views.event_delete, name="delete"),
    path("holidays/<key>/<int:year>/", views.holiday_page, name="holiday"),
    path("holidays/<key>/<int:year>/reset/", views.holiday_reset, name="holiday_reset"),
    path("greetings/", views.greetings_page, name="greetings"),
    path("greetings/prepare/", views.greetings_prepare, name="greetings_prepare"),
    path("greetings/approve/", views.greetings_approve, name="greetings_approve"),
    path("greetings/exclude/", views.greetings_exclude, name="greetings_exclude"),
    path("greetings/done/", views.greetings_done, name="greetings_done"),
    path("greetings/<int:pk>/", views.greeting_preview, name="greeting_preview"),
]
