"""Reads of the communication log: who sees what, paging, insights, recent activity."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from forgecrm.clients import services as client_services
from forgecrm.timeline import queries
from forgecrm.timeline.queries import CommunicationFilters
from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db
DHAKA = ZoneInfo("Asia/Dhaka")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=DHAKA)


def visible(user, **filters) -> set[int]:
    entries = queries.communication_list(CommunicationFilters(**filters), user=user)
    return set(entries.values_list("pk", flat=True))


# ---- Who sees what ----


def test_private_notes_are_seen_by_their_author_and_admins_only(member, viewer, crm_admin):
    mine = CommunicationFactory(kind="note", is_private=True, created_by=member)
    public = CommunicationFactory(kind="note", created_by=member)
    assert visible(member) == {mine.pk, public.pk}
    assert visible(viewer) == {public.pk}
    assert visible(crm_admin) == {mine.pk, public.pk}


def test_superusers_see_private_notes(member):
    note = CommunicationFactory(kind="note", is_private=True, created_by=member)
    root = UserFactory(is_superuser=True)
    assert note.pk in visible(root)


def test_entries_of_clients_in_the_trash_are_hidden(member):
    client = ClientFactory()
    CommunicationFactory(client=client)
    client_services.client_delete(client=client, actor=member)
    assert visible(member) == set()


def test_filters(member):
    client, other = ClientFactory(), ClientFactory()
    rahim = ContactFactory(client=client)
    call = CommunicationFactory(client=client, contact=rahim, occurred_at=at(2025, 3, 1, 10))
    sms = CommunicationFactory(
        client=client, kind="sms", direction="inbound", occurred_at=at(2025, 3, 2, 23, 30)
    )
    sms.participant_contacts.add(rahim)
    elsewhere = CommunicationFactory(client=other, content="budget", occurred_at=at(2025, 3, 3))
    assert visible(member, client=client.pk) == {call.pk, sms.pk}
    assert visible(member, contact=rahim.pk) == {call.pk, sms.pk}
    assert visible(member, kind="sms") == {sms.pk}
    assert visible(member, direction="inbound") == {sms.pk}
    # Days are the current time zone's (Asia/Dhaka): 23:30 on the 2nd is still the 2nd.
    assert visible(member, date_from=at(2025, 3, 2).date(), date_to=at(2025, 3, 2).date()) == {
        sms.pk
    }
    assert visible(member, q="budget") == {elsewhere.pk}


# ---- Paging ----


def test_timeline_pages_with_a_cursor_newest_first_without_gaps(member):
    client = ClientFactory()
    same_time = timezone.now() - timedelta(days=1)
    entries = [
        CommunicationFactory(client=client, occurred_at=same_time - timedelta(hours=n % 7))
        for n in range(45)
    ]
    expected = sorted(entries, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    seen, cursor = [], ""
    for size in (20, 20, 5):
        page = queries.timeline_page(
            queries.client_timeline(client, user=member), cursor=cursor, size=20
        )
        assert len(page.entries) == size
        seen += page.entries
        cursor = page.next_cursor
    assert cursor is None
    assert [e.pk for e in seen] == [e.pk for e in expected]


def test_a_malformed_cursor_starts_from_the_top(member):
    entry = CommunicationFactory()
    page = queries.timeline_page(
        queries.client_timeline(entry.client, user=member), cursor="not-a-cursor"
    )
    assert page.entries == [entry]


# ---- Insights ----


def test_insights_on_a_known_history():
    client = ClientFactory()

    def log(kind: str, direction: str, when: datetime) -> None:
        CommunicationFactory(client=client, kind=kind, direction=direction, occurred_at=when)

    log("email", "outbound", at(2024, 11, 1, 10))  # before the 6 months
    log("sms", "outbound", at(2024, 10, 1, 10))  # before the 6 months
    log("meeting", "outbound", at(2025, 2, 1, 10))
    log("sms", "outbound", at(2025, 3, 5, 10))
    log("whatsapp", "outbound", at(2025, 4, 1, 10))
    log("whatsapp", "inbound", at(2025, 4, 2, 10))
    log("call", "outbound", at(2025, 5, 20, 10))
    log("email", "outbound", at(2025, 6, 10, 10))
    log("email", "inbound", at(2025, 6, 11, 10))
    log("note", "outbound", at(2025, 6, 14, 10))  # internal: not an interaction
    log("call", "outbound", at(2025, 7, 1, 10))  # in the future: not yet

    insights = queries.client_insights(client, now=at(2025, 6, 15, 12))

    assert insights.last_contacted == at(2025, 6, 11, 10)
    assert insights.days_since_contact == 4
    assert [(m.month.month, m.count) for m in insights.months] == [
        (1, 0),
        (2, 1),
        (3, 1),
        (4, 2),
        (5, 1),
        (6, 2),
    ]
    assert insights.per_month == pytest.approx(7 / 6)
    assert insights.preferred_kind == "email"
    assert insights.preferred_count == 3
    assert insights.total == 9
    assert (insights.inbound, insights.outbound) == (2, 3)
    assert insights.response_rate == pytest.approx(2 / 3)
    assert insights.recency_points == pytest.approx(40 * (1 - 4 / 90))
    assert insights.frequency_points == pytest.approx(30 * (7 / 6) / 4)
    assert insights.response_points == pytest.approx(20)
    assert insights.score == 67


def test_insights_of_a_client_without_history():
    insights = queries.client_insights(ClientFactory())
    assert insights.last_contacted is None
    assert insights.response_rate is None
    assert insights.preferred_kind is None
    assert insights.score == 0
    assert len(insights.months) == 6


def test_the_response_rate_is_capped_at_one():
    client = ClientFactory()
    now = timezone.now()
    CommunicationFactory(client=client, kind="email", direction="outbound", occurred_at=now)
    for _ in range(3):
        CommunicationFactory(client=client, kind="email", direction="inbound", occurred_at=now)
    assert queries.client_insights(client).response_rate == 1.0


# ---- Recent activity ----


def test_recent_activity_mixes_communications_new_clients_and_status_changes(member, viewer):
    client = client_services.client_create(
        fields={"name": "Karnaphuli Traders"}, emails=[], phones=[], actor=member
    )
    client_services.client_update(
        client=client, fields={"status": "active"}, emails=[], phones=[], actor=member
    )
    CommunicationFactory(client=client, subject="Kick-off call", created_by=member)
    CommunicationFactory(
        client=client, kind="note", subject="Secret", is_private=True, created_by=member
    )

    items = queries.recent_activity(viewer)
    titles = [item.title for item in items]
    assert "Call · Karnaphuli Traders" in titles
    assert "New client · Karnaphuli Traders" in titles
    status = next(item for item in items if item.title.startswith("Status changed"))
    assert status.detail == "Prospect → Active"
    assert status.url == client.get_absolute_url()
    assert "Secret" not in [item.detail for item in items]
    assert "Secret" in [item.detail for item in queries.recent_activity(member)]


def test_recent_activity_shows_only_what_the_user_may_see(member):
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_communication"))
    client = ClientFactory(name="Hidden Name Ltd")
    CommunicationFactory(client=client)
    items = queries.recent_activity(reader)
    assert [item.title for item in items] == ["Call · Hidden Name Ltd"]
    assert queries.recent_activity(UserFactory()) == []
