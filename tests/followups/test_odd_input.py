"""Odd input (huge ids, far-off years, NUL bytes) is refused, never a 500."""

import pytest

from tests.followups.factories import FollowUpFactory


@pytest.mark.django_db
def test_odd_input_is_never_a_server_error(member_client, api):
    t = FollowUpFactory()
    fails = []
    for q in [
        {"client": "99999999999999999999"},
        {"client": "x"},
        {"type": "x"},
        {"mine": "x"},
        {"priority": "\x00"},
    ]:
        r = member_client.get("/admin/crm/followups/", q)
        if r.status_code >= 500:
            fails.append(("page", q))
    for q in [
        {"client": 99999999999999999999},
        {"assignee": -1},
        {"page": 0},
        {"per_page": 10**6},
        {"status": "\x00"},
    ]:
        r = api.get("/followups", q)
        if r.status_code >= 500:
            fails.append(("api", q, r.status_code))
    for body in [
        {"due_at": "0001-01-01T00:00"},
        {"due_at": "9999-12-31T23:59"},
        {"due_at": "x"},
        {},
    ]:
        for u in ["reschedule", "skip", "complete"]:
            r = member_client.post(f"/admin/crm/followups/{t.pk}/{u}/", {**body, "reason": "\x00"})
            if r.status_code >= 500:
                fails.append((u, body))
        r = api.put(f"/followups/{t.pk}/reschedule", body)
        if r.status_code >= 500:
            fails.append(("api-res", body, r.status_code))
        r = api.put(
            f"/followups/{t.pk}", {**body, "remind_before": "x", "client": 99999999999999999999}
        )
        if r.status_code >= 500:
            fails.append(("api-put", body, r.status_code))
        r = api.post("/followups", {**body, "client": t.client_id, "title": "x", "type": "call"})
        if r.status_code >= 500:
            fails.append(("api-post", body, r.status_code))
    for body in [
        {"action": "complete", "ids": ["99999999999999999999"]},
        {"action": "reschedule", "ids": [t.pk], "due_at": "0001-01-01T00:00"},
        {"action": "x"},
    ]:
        r = member_client.post("/admin/crm/followups/bulk/", body)
        if r.status_code >= 500:
            fails.append(("bulk", body))
    r = api.put("/followups/99999999999999999999/complete")
    if r.status_code >= 500:
        fails.append(("bigid", r.status_code))
    assert not fails


@pytest.mark.django_db
def test_far_off_years_are_refused_per_field(api, member_client):
    task = FollowUpFactory()
    response = api.put(f"/followups/{task.pk}/reschedule", {"due_at": "0001-01-01T00:00"})
    assert response.status_code == 422 and "due_at" in response.json()["errors"]
    html = member_client.post(
        f"/admin/crm/followups/{task.pk}/reschedule/",
        {"due_at": "0001-01-01T00:00"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Pick a valid new due time." in html
