"""Sequence pages, the client page's section, the sequences API and the rules page."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from forgecrm.followups import services
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpRule,
    Sequence,
    SequenceStep,
)
from tests.emails.factories import EmailTemplateFactory, contact_with_address
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/crm/followups/sequences/"
API = "/followups/sequences"


@pytest.fixture
def template():
    return EmailTemplateFactory(name="Hello", template_type="other")


@pytest.fixture
def plan(template) -> Sequence:
    sequence = Sequence.objects.create(name="Onboarding test")
    SequenceStep.objects.create(sequence=sequence, days=1, kind="email", template=template)
    SequenceStep.objects.create(sequence=sequence, days=3, kind="task", task_title="Call them")
    return sequence


@pytest.fixture
def rahim():
    return contact_with_address(first_name="Rahim", client__name="Acme", address="r@acme.example")


def step_data(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        defaults = {"kind": "email", "task_type": "call", "priority": "medium"}
        for name, value in {**defaults, **row}.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def test_the_list_offers_the_ready_made_sequences(admin_client_):
    html = admin_client_.get(LIST).content.decode()
    assert 'data-testid="sequences-empty"' in html and "Add the ready-made sequences" in html
    response = admin_client_.post(reverse("followups:sequence-ready-made"), follow=True)
    html = response.content.decode()
    assert "3 ready-made sequence(s) added" in html
    assert "New client onboarding" in html and "4 steps" in html
    assert "Add the ready-made sequences" not in html


def test_create_a_sequence_with_steps(member_client, template):
    form = {"name": "Quote chaser", "description": "", "is_active": "on"}
    rows = [
        {"days": "2", "template": str(template.pk)},
        {"days": "5", "kind": "task", "task_title": ""},
    ]
    response = member_client.post(
        reverse("followups:sequence-create"), {**form, **step_data("steps", rows)}
    )
    assert response.status_code == 200
    assert "Give the task a title." in response.content.decode()
    rows[1]["task_title"] = "Ring them"
    response = member_client.post(
        reverse("followups:sequence-create"), {**form, **step_data("steps", rows)}
    )
    sequence = Sequence.objects.get(name="Quote chaser")
    assert response.status_code == 302 and response.url == reverse(
        "followups:sequence", args=[sequence.pk]
    )
    assert [(s.days, s.kind) for s in sequence.steps.all()] == [(2, "email"), (5, "task")]
    assert LogEntry.objects.get_for_object(sequence).get().actor.username == "nusrat"


def test_editing_steps_moves_the_open_enrollments(member_client, member, plan, rahim):
    services.enroll(sequence=plan, contacts=[rahim], actor=member)
    email_step, task_step = plan.steps.all()
    rows = [
        {"id": str(email_step.pk), "days": "2", "template": str(email_step.template_id)},
        {"id": str(task_step.pk), "days": "3", "kind": "task", "task_title": "Call them"},
    ]
    form = {"name": plan.name, "is_active": "on", **step_data("steps", rows, initial=2)}
    response = member_client.post(reverse("followups:sequence-edit", args=[plan.pk]), form)
    assert response.status_code == 302
    enrollment = Enrollment.objects.get()
    assert enrollment.next_step_at == enrollment.anchor_at + timedelta(days=2)


def test_detail_shows_each_enrollments_steps(member_client, member, plan, rahim):
    enrollment = services.enroll(sequence=plan, contacts=[rahim], actor=member).enrollments[0]
    services.run_due_steps(now=timezone.now() + timedelta(days=1))
    html = member_client.get(reverse("followups:sequence", args=[plan.pk])).content.decode()
    assert "Rahim" in html and "Day 1:" in html and "email queued" in html
    assert "Day 3:" in html and "due " in html
    assert f'action="/admin/crm/followups/sequences/enrollments/{enrollment.pk}/pause/"' in html


def test_bulk_enroll_from_the_sequence_page(member_client, plan, rahim):
    other = contact_with_address(first_name="Karim")
    url = reverse("followups:sequence-enroll", args=[plan.pk])
    assert member_client.get(url).status_code == 200
    response = member_client.post(url, {"contacts": []})
    assert "Pick at least one person." in response.content.decode()
    response = member_client.post(url, {"contacts": [rahim.pk, other.pk]}, follow=True)
    assert "Enrolled in “Onboarding test”" in response.content.decode()
    assert Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).count() == 2
    response = member_client.post(url, {"contacts": [rahim.pk]}, follow=True)
    assert "not enrolled: already in this sequence" in response.content.decode()


def test_enroll_from_the_client_page_and_see_it_there(member_client, plan, rahim):
    client_url = rahim.client.get_absolute_url()
    html = member_client.get(client_url).content.decode()
    assert 'id="sequences"' in html and "Not in any sequence." in html
    url = reverse("followups:client-enroll", args=[rahim.client_id])
    assert member_client.get(url, {"contact": rahim.pk}).status_code == 200
    response = member_client.post(url, {"sequence": plan.pk, "contacts": [rahim.pk]})
    assert response.status_code == 302
    html = member_client.get(client_url).content.decode()
    assert "Onboarding test" in html and "Next: day 1" in html


def test_pause_resume_and_stop_from_the_page(member_client, member, plan, rahim):
    enrollment = services.enroll(sequence=plan, contacts=[rahim], actor=member).enrollments[0]
    for action, status in (
        ("pause", EnrollmentStatus.PAUSED),
        ("resume", EnrollmentStatus.ACTIVE),
        ("stop", EnrollmentStatus.STOPPED),
    ):
        member_client.post(reverse(f"followups:enrollment-{action}", args=[enrollment.pk]))
        enrollment.refresh_from_db()
        assert enrollment.status == status
    response = member_client.post(
        reverse("followups:enrollment-stop", args=[enrollment.pk]), follow=True
    )
    assert "stopped already" in response.content.decode()
    html = member_client.get(reverse("followups:sequence", args=[plan.pk])).content.decode()
    assert "Stopped by hand" in html


def test_a_viewer_sees_sequences_but_cannot_act(viewer_client, member, plan, rahim):
    enrollment = services.enroll(sequence=plan, contacts=[rahim], actor=member).enrollments[0]
    html = viewer_client.get(reverse("followups:sequence", args=[plan.pk])).content.decode()
    assert "Rahim" in html and "Pause<" not in html and "Enroll people" not in html
    url = reverse("followups:enrollment-stop", args=[enrollment.pk])
    assert viewer_client.post(url).status_code == 403


def test_list_and_detail_query_counts_do_not_grow(
    member_client, member, template, django_assert_max_num_queries
):
    def grow(n: int) -> None:
        for _ in range(n):
            sequence = Sequence.objects.create(name=f"Sequence {Sequence.objects.count()}")
            SequenceStep.objects.create(sequence=sequence, days=1, template=template)
            services.enroll(sequence=sequence, contacts=[ContactFactory()], actor=member)

    grow(2)
    with django_assert_max_num_queries(40) as few:
        member_client.get(LIST)
    grow(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        member_client.get(LIST)

    sequence = Sequence.objects.first()
    services.enroll(sequence=sequence, contacts=ContactFactory.create_batch(2), actor=member)
    url = reverse("followups:sequence", args=[sequence.pk])
    with django_assert_max_num_queries(40) as few:
        member_client.get(url)
    services.enroll(sequence=sequence, contacts=ContactFactory.create_batch(10), actor=member)
    services.run_due_steps(now=timezone.now() + timedelta(days=2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(url)
    assert response.content.decode().count("enrollment-row") == 13


# ---- API -----------------------------------------------------------------------------------


def test_api_create_list_and_update(api, template):
    response = api.post(
        API,
        {
            "name": "Quote chaser",
            "steps": [
                {"days": 2, "kind": "email", "template": template.pk},
                {"days": 5, "kind": "task", "task_title": "Ring them", "priority": "high"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [s["days"] for s in body["steps"]] == [2, 5]
    assert body["steps"][0]["template"] == {"id": template.pk, "name": "Hello"}
    listed = api.get(API).json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == "Quote chaser"

    first = body["steps"][0]["id"]
    response = api.put(f"{API}/{body['id']}", {"steps": [{"id": first, "days": 4}]})
    assert response.status_code == 200, response.content
    assert [(s["id"], s["days"]) for s in response.json()["steps"]] == [(first, 4)]
    response = api.put(f"{API}/{body['id']}", {"is_active": False})
    assert response.json()["is_active"] is False and len(response.json()["steps"]) == 1


def test_api_422s(api, template, plan):
    cases = [
        ({"name": "", "steps": []}, {"name", "steps"}),
        ({"name": "X"}, {"steps"}),
        ({"name": "X", "steps": [{"days": 1, "kind": "email"}]}, {"steps.0.template"}),
        ({"name": "X", "steps": [{"days": 1, "kind": "task"}]}, {"steps.0.task_title"}),
        ({"name": "X", "steps": [{"days": -1, "template": template.pk}]}, {"steps.0.days"}),
        ({"name": "X", "steps": [{"kind": "sms", "template": template.pk}]}, None),
        ({"name": plan.name, "steps": [{"days": 1, "template": template.pk}]}, {"name"}),
    ]
    for body, fields in cases:
        response = api.post(API, body)
        assert response.status_code == 422, body
        if fields:
            assert set(response.json()["errors"]) == fields, response.json()
    assert api.put(f"{API}/{plan.pk}", {"steps": [{"id": 999999, "days": 1}]}).status_code == 422
    assert api.post(f"{API}/{plan.pk}/enroll", {}).status_code == 422
    assert api.post(f"{API}/{plan.pk}/enroll", {"contacts": [999999]}).json()["errors"] == {
        "contacts": ["There is no contact with id 999999."]
    }


def test_api_enroll_pause_resume_stop(api, plan, rahim):
    response = api.post(f"{API}/{plan.pk}/enroll", {"contacts": [rahim.pk]})
    assert response.status_code == 201, response.content
    [enrolled] = response.json()["enrolled"]
    assert enrolled["contact"] == {"id": rahim.pk, "name": rahim.full_name}
    again = api.post(f"{API}/{plan.pk}/enroll", {"contacts": [rahim.pk]}).json()
    assert again["skipped"] == [{"contact": rahim.pk, "reason": "already in this sequence"}]
    enrollment = f"{API}/enrollments/{enrolled['id']}"
    assert api.put(f"{enrollment}/resume").status_code == 422
    assert api.put(f"{enrollment}/pause").json()["status"] == "paused"
    assert api.put(f"{enrollment}/resume").json()["status"] == "active"
    stopped = api.put(f"{enrollment}/stop").json()
    assert (stopped["status"], stopped["stop_reason"]) == ("stopped", "manual")
    listed = api.get(f"{API}/{plan.pk}/enrollments", {"status": "stopped"}).json()
    assert listed["count"] == 1


def test_api_enroll_a_client_takes_its_primary_contact(api, plan, rahim):
    client = rahim.client
    response = api.post(f"{API}/{plan.pk}/enroll", {"client": client.pk})
    assert response.status_code == 422 and "no primary contact" in response.content.decode()
    client.primary_contact = rahim
    client.save()
    response = api.post(f"{API}/{plan.pk}/enroll", {"client": client.pk})
    assert response.status_code == 201 and response.json()["enrolled"][0]["client_id"] == client.pk


def test_api_viewer_reads_only(viewer_api, plan, rahim):
    assert viewer_api.get(API).status_code == 200
    assert viewer_api.post(f"{API}/{plan.pk}/enroll", {"contacts": [rahim.pk]}).status_code == 403


# ---- Rules ---------------------------------------------------------------------------------


def test_rules_are_for_admins_only(member_client, admin_client_):
    assert member_client.get("/admin/crm/followups/rules/").status_code == 403
    html = admin_client_.get("/admin/crm/followups/rules/").content.decode()
    assert "Proposal" in html and "3 days" in html


def test_an_admin_edits_a_rule_and_it_is_audited(admin_client_):
    rule = FollowUpRule.objects.get(email_type="proposal")
    url = reverse("followups:rule-edit", args=[rule.pk])
    response = admin_client_.post(url, {"days": "0", "priority": "high", "is_active": "on"})
    assert "Between 1 and 365 days." in response.content.decode()
    response = admin_client_.post(
        url, {"email_type": "invoice", "days": "5", "priority": "high", "is_active": ""}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.email_type, rule.days, rule.priority, rule.is_active) == (
        "proposal",
        5,
        "high",
        False,
    )
    assert LogEntry.objects.get_for_object(rule).latest("timestamp").actor.username == "ayesha"


def test_an_admin_adds_a_rule(admin_client_):
    response = admin_client_.post(
        reverse("followups:rule-create"),
        {"email_type": "invoice", "days": "10", "priority": "medium", "is_active": "on"},
    )
    assert response.status_code == 302
    assert FollowUpRule.objects.get(email_type="invoice").days == 10
    response = admin_client_.post(
        reverse("followups:rule-create"),
        {"email_type": "invoice", "days": "3", "priority": "medium"},
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
