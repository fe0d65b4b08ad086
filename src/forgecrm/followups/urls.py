"""Mounted at /admin/crm/followups/."""

from django.urls import path

from forgecrm.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bulk/", views.bulk, name="bulk"),
    path("clients/<int:client_id>/new/", views.create_for_client, name="create"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/skip/", views.skip, name="skip"),
    path("<int:pk>/convert/", views.convert, name="convert"),
]
