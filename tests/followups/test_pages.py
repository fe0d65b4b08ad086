"""The follow-up dashboard: sections, filters, htmx actions and bulk actions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from forgecrm.followups.models import FollowUpStatus, FollowUpTask
from forgecrm.timeline.models import Communication
from tests.factories import ClientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 12:00 in Dhaka, the default zone
URL = "/admin/crm/followups/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def section(html: str, key: str) -> str:
    start = html.index(f'id="followups-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


@time_machine.travel(NOON, tick=False)
def test_the_sections_and_the_nav(member_client):
    FollowUpFactory(title="Late call", due_at=NOON - timedelta(days=1))
    FollowUpFactory(title="This afternoon", due_at=NOON + timedelta(hours=3))
    FollowUpFactory(title="Next week", due_at=NOON + timedelta(days=5))
    FollowUpFactory(title="Done already", due_at=NOON, status=FollowUpStatus.COMPLETED)
    response = member_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Late call" in section(html, "overdue") and "bg-danger-subtle" in section(
        html, "overdue"
    )
    assert "This afternoon" in section(html, "today")
    assert "Next week" in section(html, "upcoming")
    assert "Done already" not in html
    assert 'href="/admin/crm/followups/"' in html and "bi-alarm" in html  # the sidebar


def test_empty_states(member_client):
    assert 'data-testid="followups-empty"' in member_client.get(URL).content.decode()
    FollowUpFactory(priority="low")
    html = member_client.get(URL, {"priority": "urgent"}).content.decode()
    assert "No open follow-ups match these filters" in html


def test_filters(member_client):
    acme = ClientFactory(name="Acme")
    FollowUpFactory(client=acme, title="For Acme")
    FollowUpFactory(title="For someone else")
    html = member_client.get(URL, {"client": acme.pk}).content.decode()
    assert "For Acme" in html and "For someone else" not in html
    assert "Client: Acme" in html


def test_a_filter_that_no_longer_fits_drops_only_itself(member_client):
    """A notification's link to a client since deleted still filters by the type chosen."""
    FollowUpFactory(title="Call Rahim", task_type="call")
    FollowUpFactory(title="Meet Karim", task_type="meeting")
    html = member_client.get(URL, {"client": 987654, "type": "call"}).content.decode()
    assert "Call Rahim" in html and "Meet Karim" not in html


def test_remind_before_is_refused_outside_a_minute_to_a_year(member_client, api):
    task = FollowUpFactory()
    for value in ("999999 00:00:00", "-1 00:00:00", "00:00:10"):
        response = api.put(f"/followups/{task.pk}", {"remind_before": value})
        assert response.status_code == 422, value
        assert (
            "Remind from 1 minute to 365 days before"
            in response.json()["errors"]["remind_before"][0]
        )
    assert api.put(f"/followups/{task.pk}", {"remind_before": "2 00:00:00"}).status_code == 200


def test_the_api_edits_a_task_of_someone_who_left_keeping_them(api):
    from tests.factories import ContactFactory, UserFactory

    left = UserFactory(is_active=False)
    task = FollowUpFactory(assignee=left)
    contact = ContactFactory(client=task.client)
    task.contact = contact
    task.save()
    contact.deleted_at = datetime(2026, 3, 1, tzinfo=UTC)
    contact.save()

    response = api.put(f"/followups/{task.pk}", {"title": "Call again"})

    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.title, task.assignee, task.contact_id) == ("Call again", left, contact.pk)
    other = FollowUpFactory()
    refused = api.put(f"/followups/{other.pk}", {"assignee": left.pk})
    assert refused.status_code == 422  # not offered for other tasks


def test_only_mine_is_what_i_am_reminded_of(member_client, member):
    """Assigned to me, or to nobody on a client I own: what notifications and the morning
    digest (whose link is "Only mine") count as mine."""
    mine = ClientFactory(owner=member)
    FollowUpFactory(title="Assigned to me", assignee=member)
    FollowUpFactory(title="Nobody's, my client", client=mine, assignee=None)
    FollowUpFactory(title="Nobody's, another client", assignee=None)
    html = member_client.get(URL, {"mine": "on"}).content.decode()
    assert "Assigned to me" in html and "Nobody&#x27;s, my client" in html
    assert "another client" not in html


def test_complete_in_place_with_htmx(member_client):
    task = FollowUpFactory(title="Ring Rahim")
    response = member_client.post(reverse("followups:complete", args=[task.pk]), **HTMX)
    assert response.status_code == 200
    assert "“Ring Rahim” completed." in response.content.decode()
    assert f'id="followup-{task.pk}"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == FollowUpStatus.COMPLETED
    again = member_client.post(reverse("followups:complete", args=[task.pk]), **HTMX)
    assert "completed already" in again.content.decode()


def test_reschedule_skip_and_convert_in_place(member_client):
    task, other, third = FollowUpFactory.create_batch(3)
    response = member_client.post(
        reverse("followups:reschedule", args=[task.pk]), {"due_at": "2026-12-01T09:30"}, **HTMX
    )
    assert "moved to 01 Dec 2026 09:30" in response.content.decode()
    task.refresh_from_db()
    assert task.due_at == datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # read in Dhaka time

    response = member_client.post(reverse("followups:skip", args=[other.pk]), {}, **HTMX)
    assert "Say why you skip it." in response.content.decode()
    member_client.post(reverse("followups:skip", args=[other.pk]), {"reason": "Lost"}, **HTMX)
    other.refresh_from_db()
    assert (other.status, other.skip_reason) == (FollowUpStatus.CANCELLED, "Lost")

    member_client.post(reverse("followups:convert", args=[third.pk]), **HTMX)
    assert Communication.objects.get().subject == third.title


def test_without_htmx_actions_redirect_with_a_message(member_client):
    task = FollowUpFactory()
    response = member_client.post(reverse("followups:complete", args=[task.pk]), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "completed." in response.content.decode()


def test_bulk_complete_and_reschedule(member_client):
    tasks = FollowUpFactory.create_batch(3)
    ids = [t.pk for t in tasks[:2]]
    response = member_client.post(
        reverse("followups:bulk"),
        {"action": "reschedule", "ids": ids, "due_at": "2026-12-24T10:00"},
    )
    assert response.status_code == 302
    assert FollowUpTask.objects.filter(due_at=datetime(2026, 12, 24, 4, 0, tzinfo=UTC)).count() == 2
    member_client.post(reverse("followups:bulk"), {"action": "reschedule", "ids": ids})
    assert FollowUpTask.objects.filter(due_at=datetime(2026, 12, 24, 4, 0, tzinfo=UTC)).count() == 2
    member_client.post(reverse("followups:bulk"), {"action": "complete", "ids": ids})
    assert set(
        FollowUpTask.objects.filter(status=FollowUpStatus.COMPLETED).values_list("pk", flat=True)
    ) == set(ids)


def test_a_viewer_sees_no_action_buttons_and_cannot_act(viewer_client):
    task = FollowUpFactory()
    html = viewer_client.get(URL).content.decode()
    assert task.title in html and "Complete</button>" not in html and "bulk-form" not in html
    assert viewer_client.post(reverse("followups:complete", args=[task.pk])).status_code == 403


def test_the_dashboard_query_count_does_not_grow(member_client, django_assert_max_num_queries):
    FollowUpFactory.create_batch(5, assignee=None)
    with django_assert_max_num_queries(30) as five:
        member_client.get(URL)
    FollowUpFactory.create_batch(20)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = member_client.get(URL)
    assert response.content.decode().count('class="list-group-item followup-row') == 25


def test_the_dashboard_shows_my_next_follow_ups(member_client, member, outsider, client):
    FollowUpFactory(title="Mine to do", assignee=member)
    FollowUpFactory(title="Someone else's")
    html = member_client.get("/admin/crm/").content.decode()
    assert "My next follow-ups" in html and "Mine to do" in html
    assert "Someone else's" not in html
    client.force_login(outsider)
    assert "My next follow-ups" not in client.get("/admin/crm/").content.decode()


@time_machine.travel(NOON, tick=False)
def test_the_client_page_lists_its_open_follow_ups_for_anyone(member_client, viewer_client):
    acme = ClientFactory(name="Acme")
    FollowUpFactory(client=acme, title="Chase the proposal", due_at=NOON - timedelta(days=1))
    FollowUpFactory(client=acme, title="Call about hosting", due_at=NOON + timedelta(days=2))
    FollowUpFactory(client=acme, title="Closed one", status=FollowUpStatus.COMPLETED)
    FollowUpFactory(title="Another client's")
    html = member_client.get(acme.get_absolute_url()).content.decode()
    card = html[
        html.index('id="next-followups-heading"') : html.index(
            "</section>", html.index('id="next-followups-heading"')
        )
    ]
    assert "Open follow-ups" in card
    assert card.index("Chase the proposal") < card.index("Call about hosting")
    assert "Overdue" in card and "Closed one" not in card and "Another client's" not in card
    assert f"/admin/crm/followups/?client={acme.pk}" in card
    assert f"/admin/crm/followups/clients/{acme.pk}/new/" in card

    quiet = ClientFactory(name="Quiet Ltd")
    html = viewer_client.get(quiet.get_absolute_url()).content.decode()
    assert "No open follow-ups for Quiet Ltd." in html
    assert f"/admin/crm/followups/clients/{quiet.pk}/new/" not in html  # a viewer cannot add
