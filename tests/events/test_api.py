"""GET/POST/PUT/DELETE /api/admin/crm/events: occurrences in a range and stored events."""

from datetime import date

import pytest
import time_machine
from auditlog.models import LogEntry

from forgecrm.events.models import HolidayOverride, ImportantDate
from tests.conftest import ApiClient
from tests.events.factories import ImportantDateFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_occurrences_in_a_range(api):
    contact = ContactFactory(first_name="Rahim", last_name="Uddin", birthday=date(1990, 4, 20))
    ImportantDateFactory(name="Launch day", date=date(2025, 4, 2), event_type="business-milestone")
    response = api.get("/events", {"from": "2026-04-01", "to": "2026-04-30"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(o["date"], o["title"], o["type"]) for o in body] == [
        ("2026-04-02", "Launch day", "business-milestone"),
        ("2026-04-14", "Pohela Boishakh (Bengali New Year)", "holiday"),
        ("2026-04-20", "Birthday: Rahim Uddin", "birthday"),
    ]
    birthday = body[2]
    assert birthday["key"] == f"contact-birthday:{contact.pk}:2026-04-20"
    assert birthday["client_id"] == contact.client_id
    assert birthday["type_label"] == "Birthday"
    assert birthday["is_estimated"] is False


def test_filter_by_type_and_client(api):
    mine = ContactFactory(birthday=date(1990, 4, 20))
    ContactFactory(birthday=date(1990, 4, 21))
    ImportantDateFactory(date=date(2025, 4, 2), client=mine.client)
    window = {"from": "2026-04-01", "to": "2026-04-30"}

    by_type = api.http.get(
        "/api/admin/crm/events?from=2026-04-01&to=2026-04-30&type=birthday&type=holiday"
    )
    assert [o["type"] for o in by_type.json()] == ["holiday", "birthday", "birthday"]
    by_client = api.get("/events", {**window, "client": mine.client_id}).json()
    assert [o["date"] for o in by_client] == ["2026-04-02", "2026-04-20"]


@time_machine.travel(date(2026, 12, 1))
def test_without_a_range_the_next_30_days(api):
    ContactFactory(birthday=date(1990, 12, 31))
    ContactFactory(birthday=date(1990, 1, 1))
    body = api.get("/events").json()
    assert body[0]["date"] >= "2026-12-01"
    assert body[-1]["date"] == "2026-12-31"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "valid date"),
        ({"from": "yesterday"}, "from", "valid date"),
        ({"from": "2026-01-01", "to": "2027-03-01"}, "to", "at most 400 days"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to", "on or after"),
        ({"from": "0001-01-01", "to": "0001-01-31"}, "from", "between 1900-01-01"),
        ({"from": "2026-01-01", "type": "wedding"}, "type.0", "Input should be"),
        ({"from": "2026-01-01", "client": "acme"}, "client", "valid integer"),
    ],
)
def test_a_bad_range_is_a_422_with_a_message_per_field(api, params, field, message):
    response = api.get("/events", params)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert message in " ".join(errors[field])


def test_create_read_update_delete(api, manager_api, member):
    contact = ContactFactory(first_name="Sadia", last_name="Karim")
    response = api.post(
        "/events",
        {
            "name": "Sadia's work anniversary",
            "event_type": "anniversary",
            "date": "2024-02-29",
            "recurrence": "yearly",
            "contact": contact.pk,
            "send_greeting": True,
            "notify_days_before": 2,
            "custom_message": "Happy anniversary, {{contact_name}}!",
        },
    )
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["client"] == contact.client_id  # the client follows the contact
    assert event["contact_name"] == "Sadia Karim"
    assert event["rule"] == "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    assert event["next_dates"][0].endswith("-02-28") or event["next_dates"][0].endswith("-02-29")

    assert api.get(f"/events/{event['id']}").json()["name"] == "Sadia's work anniversary"

    changed = api.put(
        f"/events/{event['id']}", {"name": "Work anniversary", "notify_days_before": 5}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Work anniversary"
    assert changed.json()["notify_days_before"] == 5
    assert changed.json()["send_greeting"] is True  # left out, so kept
    assert changed.json()["date"] == "2024-02-29"

    assert api.delete(f"/events/{event['id']}").status_code == 403  # members do not delete
    assert manager_api.delete(f"/events/{event['id']}").status_code == 204
    assert not ImportantDate.objects.exists()
    assert api.get(f"/events/{event['id']}").status_code == 404

    actors = set(
        LogEntry.objects.filter(content_type__model="importantdate").values_list(
            "actor__username", flat=True
        )
    )
    assert actors == {member.username, "mahmud"}


def test_validation_through_the_form_per_field(api):
    contact = ContactFactory()
    other = ContactFactory()
    response = api.post(
        "/events",
        {
            "event_type": "nonsense",
            "date": "2026-13-01",
            "recurrence": "custom",
            "rrule": "FREQ=HOURLY",
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["name"] == ["This field is required."]
    assert "Select a valid choice" in errors["event_type"][0]
    assert errors["date"] == ["Enter a valid date."]

    bad_rule = api.post(
        "/events",
        {
            "name": "x",
            "event_type": "custom",
            "date": "2026-01-01",
            "recurrence": "custom",
            "rrule": "FREQ=HOURLY",
        },
    )
    assert "FREQ=DAILY, WEEKLY, MONTHLY or YEARLY" in bad_rule.json()["errors"]["rrule"][0]

    mismatch = api.post(
        "/events",
        {
            "name": "x",
            "event_type": "birthday",
            "date": "2026-01-01",
            "client": contact.client_id,
            "contact": other.pk,
        },
    )
    assert "is not a contact of" in mismatch.json()["errors"]["contact"][0]
    too_early = api.post(
        "/events",
        {"name": "x", "event_type": "custom", "date": "2026-01-01", "notify_days_before": 91},
    )
    assert too_early.json()["errors"]["notify_days_before"] == [
        "Ensure this value is less than or equal to 90."
    ]
    unknown = api.post(
        "/events", {"name": "x", "event_type": "custom", "date": "2026-01-01", "surprise": 1}
    )
    assert unknown.status_code == 422
    assert not ImportantDate.objects.exists()


def test_a_rule_is_dropped_when_the_event_does_not_use_a_custom_rule(api):
    response = api.post(
        "/events",
        {
            "name": "x",
            "event_type": "custom",
            "date": "2026-01-01",
            "recurrence": "monthly",
            "rrule": "FREQ=DAILY",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["rrule"] == ""
    assert response.json()["rule"] == "FREQ=MONTHLY;BYMONTHDAY=1"


def test_events_of_a_deleted_client_are_gone(api):
    contact = ContactFactory()
    event = ImportantDateFactory(client=contact.client)
    contact.client.deleted_at = "2026-01-01T00:00:00Z"
    contact.client.save()
    assert api.get(f"/events/{event.pk}").status_code == 404


def test_permissions(viewer_api, outsider, client):
    event = ImportantDateFactory()
    assert viewer_api.get(f"/events/{event.pk}").status_code == 200
    assert viewer_api.get("/events", {"from": "2026-01-01", "to": "2026-01-31"}).status_code == 200
    assert viewer_api.post("/events", {"name": "x"}).status_code == 403
    assert viewer_api.put(f"/events/{event.pk}", {"name": "x"}).status_code == 403
    assert viewer_api.delete(f"/events/{event.pk}").status_code == 403
    nobody = ApiClient(outsider)
    assert nobody.get("/events").status_code == 403
    assert nobody.get(f"/events/{event.pk}").status_code == 403
    assert client.get("/api/admin/crm/events").status_code == 401


@time_machine.travel(date(2027, 3, 1))
def test_confirm_and_reset_an_eid(api, manager_api, viewer_api):
    estimate = api.get("/events/holidays/eid-ul-fitr/1448").json()
    assert (estimate["estimate"], estimate["confirmed"], estimate["umm_al_qura"]) == (
        "2027-03-10",
        None,
        "2027-03-09",
    )
    assert (
        viewer_api.put("/events/holidays/eid-ul-fitr/1448", {"date": "2027-03-11"}).status_code
        == 403
    )
    too_far = api.put("/events/holidays/eid-ul-fitr/1448", {"date": "2027-04-11"})
    assert too_far.status_code == 422
    assert "within 3 days of the estimate" in too_far.json()["errors"]["date"][0]

    confirmed = api.put("/events/holidays/eid-ul-fitr/1448", {"date": "2027-03-11"})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["date"] == "2027-03-11"
    march = api.get("/events", {"from": "2027-03-01", "to": "2027-03-31", "type": "holiday"}).json()
    eid = next(o for o in march if o["title"] == "Eid ul-Fitr")
    assert (eid["date"], eid["is_estimated"], eid["key"]) == (
        "2027-03-11",
        False,
        "holiday:eid-ul-fitr:1448",
    )

    assert api.delete("/events/holidays/eid-ul-fitr/1448").status_code == 403
    assert manager_api.delete("/events/holidays/eid-ul-fitr/1448").status_code == 204
    assert not HolidayOverride.objects.exists()
    assert api.get("/events/holidays/eid-ul-fitr/3000").status_code == 404
    assert api.get("/events/holidays/diwali/1448").status_code == 422
