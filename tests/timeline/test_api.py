"""The communications API: /api/admin/crm/communications."""

from datetime import UTC, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forgecrm.accounts.models import UserProfile
from forgecrm.clients import services as client_services
from forgecrm.emails.models import Email
from forgecrm.timeline.models import Communication
from tests.conftest import ApiClient
from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_log_a_call(api, member):
    client = ClientFactory()
    rahim, karim = ContactFactory(client=client), ContactFactory(client=client)
    colleague = UserFactory()
    response = api.post(
        "/communications",
        {
            "client": client.pk,
            "type": "call",
            "direction": "inbound",
            "subject": "Asked for a quote",
            "content": "Wants an e-commerce site",
            "occurred_at": "2025-04-14T10:30:00+06:00",
            "duration_minutes": 25,
            "contact": rahim.pk,
            "participant_contacts": [karim.pk],
            "participant_users": [colleague.pk],
            "outcome": "Interested",
            "next_steps": "Send the quote by Thursday",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "call"
    assert body["type_label"] == "Call"
    assert body["direction"] == "inbound"
    assert body["client"] == client.pk
    assert body["contact"] == {"id": rahim.pk, "name": rahim.full_name}
    assert body["participant_contacts"] == [{"id": karim.pk, "name": karim.full_name}]
    assert body["participant_users"] == [{"id": colleague.pk, "username": colleague.username}]
    assert body["created_by"]["username"] == member.username
    assert body["occurred_at"].startswith("2025-04-14T04:30:00")
    entry = Communication.objects.get(pk=body["id"])
    assert entry.duration_minutes == 25
    audit = LogEntry.objects.get_for_object(entry)
    assert {e.actor for e in audit} == {member}
    assert audit.filter(action=LogEntry.Action.CREATE).exists()


def test_occurred_at_defaults_to_now(api):
    client = ClientFactory()
    before = timezone.now()
    response = api.post("/communications", {"client": client.pk, "type": "note", "content": "Hi"})
    assert response.status_code == 201
    entry = Communication.objects.get(pk=response.json()["id"])
    assert before <= entry.occurred_at <= timezone.now()


def test_errors_are_per_field(api):
    client = ClientFactory()
    other_contact = ContactFactory()
    response = api.post(
        "/communications",
        {
            "client": client.pk,
            "type": "fax",
            "direction": "sideways",
            "occurred_at": "yesterday-ish",
            "contact": other_contact.pk,
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"type", "direction", "occurred_at", "contact", "subject"}
    assert "fax" in errors["type"][0]


def test_only_notes_can_be_private_and_only_emails_link_an_email(api):
    client = ClientFactory()
    email = Email.objects.create(message_id="<x@forgecrm.example>", client=client, subject="Hi")
    response = api.post(
        "/communications",
        {
            "client": client.pk,
            "type": "call",
            "subject": "x",
            "is_private": True,
            "email": email.pk,
        },
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"is_private", "email"}
    response = api.post(
        "/communications",
        {"client": client.pk, "type": "email", "subject": "Hi", "email": email.pk},
    )
    assert response.status_code == 201
    assert response.json()["email"] == email.pk


def test_an_unknown_or_deleted_client_is_a_422(api, member):
    assert api.post("/communications", {"client": 999, "type": "call"}).json()["errors"] == {
        "client": ["There is no client with id 999."]
    }
    client = ClientFactory()
    client_services.client_delete(client=client, actor=member)
    response = api.post("/communications", {"client": client.pk, "type": "call", "subject": "x"})
    assert response.status_code == 422


def test_unknown_body_fields_are_refused(api):
    response = api.post(
        "/communications", {"client": ClientFactory().pk, "type": "call", "colour": "red"}
    )
    assert response.status_code == 422
    assert "colour" in response.json()["errors"]


def test_viewers_cannot_log_and_strangers_cannot_read(viewer_api):
    client = ClientFactory()
    response = viewer_api.post("/communications", {"client": client.pk, "type": "call"})
    assert response.status_code == 403
    stranger = ApiClient(UserFactory())
    assert stranger.get("/communications").status_code == 403
    assert stranger.get(f"/communications/{client.pk}").status_code == 403
    assert viewer_api.get("/communications").status_code == 200


def test_list_filters_and_pagination(api):
    client, other = ClientFactory(), ClientFactory()
    now = timezone.now()
    calls = [
        CommunicationFactory(client=client, occurred_at=now - timedelta(hours=n)) for n in range(5)
    ]
    sms = CommunicationFactory(client=other, kind="sms", direction="inbound", content="budget")
    assert ids(api.get("/communications", {"client": client.pk})) == [c.pk for c in calls]
    assert ids(api.get("/communications", {"type": "sms"})) == [sms.pk]
    assert ids(api.get("/communications", {"direction": "inbound"})) == [sms.pk]
    assert ids(api.get("/communications", {"q": "budget"})) == [sms.pk]
    page = api.get("/communications", {"client": client.pk, "per_page": 2, "page": 3}).json()
    assert (page["count"], page["pages"], page["page"]) == (5, 3, 3)
    assert [item["id"] for item in page["items"]] == [calls[4].pk]
    assert api.get("/communications", {"page": 9}).status_code == 422
    response = api.get("/communications", {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 422
    assert api.get("/communications", {"type": "fax"}).status_code == 422


def test_a_token_reads_dates_in_its_users_own_time_zone(api, member):
    """23:30 on 10 January in London is already the 11th in Dhaka, the site's zone."""
    UserProfile.objects.update_or_create(user=member, defaults={"timezone": "Europe/London"})
    late_call = CommunicationFactory(
        occurred_at=datetime(2025, 1, 10, 23, 30, tzinfo=UTC), client=ClientFactory()
    )
    that_day = {"date_from": "2025-01-10", "date_to": "2025-01-10"}
    assert ids(api.get("/communications", that_day)) == [late_call.pk]
    logged = api.post(
        "/communications",
        {
            "client": late_call.client_id,
            "type": "call",
            "subject": "Hi",
            "occurred_at": "2025-01-10T09:00",
        },
    )
    assert logged.status_code == 201, logged.content
    assert Communication.objects.get(pk=logged.json()["id"]).occurred_at == datetime(
        2025, 1, 10, 9, 0, tzinfo=UTC
    )


def test_private_notes_stay_private_in_the_api(api, member, manager):
    client = ClientFactory()
    mine = CommunicationFactory(client=client, kind="note", is_private=True, created_by=member)
    theirs = CommunicationFactory(client=client, kind="note", is_private=True, created_by=manager)
    assert ids(api.get("/communications")) == [mine.pk]
    assert theirs.pk not in ids(api.get(f"/communications/{client.pk}"))


def test_client_timeline(api, member):
    client = ClientFactory()
    now = timezone.now()
    call = CommunicationFactory(client=client, occurred_at=now - timedelta(days=1))
    note = CommunicationFactory(client=client, kind="note", content="quote sent", occurred_at=now)
    CommunicationFactory()  # another client's
    assert ids(api.get(f"/communications/{client.pk}")) == [note.pk, call.pk]
    assert ids(api.get(f"/communications/{client.pk}", {"type": "call"})) == [call.pk]
    assert ids(api.get(f"/communications/{client.pk}", {"q": "quote"})) == [note.pk]
    assert api.get("/communications/99999").status_code == 404
    client_services.client_delete(client=client, actor=member)
    assert api.get(f"/communications/{client.pk}").status_code == 404


def _list_queries(api, client_id: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(f"/communications/{client_id}").status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_entries(api, django_assert_max_num_queries):
    def client_with(n: int):
        client = ClientFactory()
        for entry in CommunicationFactory.create_batch(n, client=client):
            entry.participant_contacts.add(ContactFactory(client=client))
            entry.participant_users.add(UserFactory())
        return client

    few, many = client_with(2), client_with(25)
    _list_queries(api, few.pk)
    baseline = _list_queries(api, few.pk)
    with django_assert_max_num_queries(baseline):
        response = api.get(f"/communications/{many.pk}")
    assert len(response.json()["items"]) == 25
    with django_assert_max_num_queries(baseline):
        assert api.get("/communications", {"per_page": 50}).status_code == 200
