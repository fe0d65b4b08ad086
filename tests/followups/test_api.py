"""/api/admin/crm/followups: list, create, update, complete, reschedule, skip."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from forgecrm.followups.models import FollowUpStatus, FollowUpTask
from tests.factories import ClientFactory, ContactFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@time_machine.travel(NOON, tick=False)
def test_create_and_read_back(api, member):
    client = ClientFactory()
    response = api.post(
        "/followups",
        {
            "client": client.pk,
            "title": "Call about the redesign",
            "type": "call",
            "priority": "high",
            "due_at": "2026-03-12T10:00:00+06:00",
            "assignee": member.pk,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "call" and body["source"] == "manual"
    assert body["client"]["id"] == client.pk and body["assignee"]["id"] == member.pk
    assert body["effective_status"] == "pending"
    task = FollowUpTask.objects.get()
    assert task.due_at == datetime(2026, 3, 12, 4, 0, tzinfo=UTC)


def test_create_refuses_bad_fields_one_by_one(api):
    contact = ContactFactory()
    response = api.post(
        "/followups",
        {"client": ClientFactory().pk, "contact": contact.pk, "type": "fax", "due_at": "soon"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"title", "type", "due_at", "contact"}
    assert not FollowUpTask.objects.exists()


def test_unknown_body_fields_are_refused(api):
    response = api.post("/followups", {"client": ClientFactory().pk, "bogus": 1})
    assert response.status_code == 422


def test_list_filters_and_overdue(api):
    with time_machine.travel(NOON, tick=False):
        acme = ClientFactory()
        late = FollowUpFactory(client=acme, due_at=NOON - timedelta(hours=1), priority="urgent")
        FollowUpFactory(client=acme, due_at=NOON + timedelta(days=1))
        FollowUpFactory(due_at=NOON - timedelta(days=1), status=FollowUpStatus.COMPLETED)
        response = api.get("/followups", {"status": "overdue"})
        assert [t["id"] for t in response.json()["items"]] == [late.pk]
        assert response.json()["items"][0]["effective_status"] == "overdue"
        assert api.get("/followups", {"client": acme.pk}).json()["count"] == 2
        assert api.get("/followups", {"priority": "urgent"}).json()["count"] == 1
        assert api.get("/followups", {"status": "nope"}).status_code == 422


def test_the_list_takes_the_same_number_of_queries_for_5_or_25(api, django_assert_max_num_queries):
    FollowUpFactory.create_batch(5)
    with django_assert_max_num_queries(10) as five:
        assert api.get("/followups").json()["count"] == 5
    FollowUpFactory.create_batch(20)
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert api.get("/followups").json()["count"] == 25


def test_update_changes_only_what_is_sent(api):
    task = FollowUpFactory(priority="low", notes="keep me")
    response = api.put(f"/followups/{task.pk}", {"priority": "high", "status": "in-progress"})
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert (task.priority, task.notes, task.status) == ("high", "keep me", "in-progress")
    assert api.put(f"/followups/{task.pk}", {"status": "completed"}).status_code == 422
    assert api.put("/followups/999999", {"priority": "high"}).status_code == 404


def test_complete_reschedule_and_skip(api):
    task, other = FollowUpFactory(), FollowUpFactory()
    response = api.put(f"/followups/{task.pk}/reschedule", {"due_at": "2026-05-01T09:00:00Z"})
    assert response.json()["due_at"].startswith("2026-05-01T09:00:00")
    response = api.put(f"/followups/{task.pk}/complete")
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert api.put(f"/followups/{task.pk}/complete").status_code == 422
    assert api.put(f"/followups/{other.pk}/skip", {"reason": " "}).status_code == 422
    response = api.put(f"/followups/{other.pk}/skip", {"reason": "Went with a competitor"})
    assert response.json()["status"] == "cancelled"
    assert response.json()["skip_reason"] == "Went with a competitor"


def test_a_viewer_reads_but_cannot_write(viewer_api):
    task = FollowUpFactory()
    assert viewer_api.get("/followups").status_code == 200
    assert viewer_api.post("/followups", {"client": task.client_id}).status_code == 403
    for path in ("", "/complete", "/reschedule", "/skip"):
        assert viewer_api.put(f"/followups/{task.pk}{path}", {}).status_code == 403
    task.refresh_from_db()
    assert task.status == FollowUpStatus.PENDING
