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
    path("sequences/", views.sequences, name="sequences"),
    path("sequences/new/", views.sequence_create, name="sequence-create"),
    path("sequences/ready-made/", views.add_ready_made, name="sequence-ready-made"),
    path("sequences/<int:pk>/", views.sequence_detail, name="sequence"),
    path("sequences/<int:pk>/edit/", views.sequence_edit, name="sequence-edit"),
    path("sequences/<int:pk>/enroll/", views.sequence_enroll, name="sequence-enroll"),
    path("sequences/clients/<int:client_id>/enroll/", views.client_enroll, name="client-enroll"),
    path("sequences/enrollments/<int:pk>/pause/", views.enrollment_pause, name="enrollment-pause"),
    path(
        "sequences/enrollments/<int:pk>/resume/",
        views.enrollment_resume,
        name="enrollment-resume",
    ),
    path("sequences/enrollments/<int:pk>/stop/", views.enrollment_stop, name="enrollment-stop"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule-edit"),
]
