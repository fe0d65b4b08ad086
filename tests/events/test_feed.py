"""The private calendar feed: an ICS URL per user, public only with its live token."""

import re
from datetime import date

import icalendar
import pytest
import time_machine

from forgecrm.events.models import CalendarFeed
from tests.events.factories import ImportantDateFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def make_feed(http) -> str:
    """Press "Make my calendar URL" and return the path it shows (once)."""
    response = http.post("/calendar/feed/", {"action": "create"})
    assert response.status_code == 200
    url = re.search(r'value="(http[^"]+\.ics)"', response.content.decode()).group(1)
    return url.removeprefix("http://127.0.0.1:8000")


@time_machine.travel(date(2026, 11, 25))
def test_the_feed_parses_and_holds_the_dates(viewer_client, client):
    ContactFactory(first_name="Anika", last_name="Das", birthday=date(1992, 12, 3))
    event = ImportantDateFactory(name="Office anniversary", date=date(2020, 1, 15))
    path = make_feed(viewer_client)

    response = client.get(path)  # no session: calendar apps have none
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Forge CRM"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    birthday = events["Birthday: Anika Das"]
    assert birthday.decoded("DTSTART") == date(2026, 12, 3)
    assert birthday.decoded("DTEND") == date(2026, 12, 4)
    assert str(birthday["UID"]).startswith("contact-birthday:")
    office = events["Office anniversary"]
    assert office.decoded("DTSTART") == date(2027, 1, 15)
    assert str(office["URL"]) == f"http://127.0.0.1:8000/admin/crm/calendar/events/{event.pk}/"
    assert "Thanksgiving" in events and "Christmas" in events
    assert "Eid ul-Fitr (estimated)" in events  # March 2027, within a year ahead
    assert CalendarFeed.objects.get().last_used_at is not None


def test_a_wrong_token_is_a_404(client, viewer_client):
    make_feed(viewer_client)
    assert client.get("/calendar/fcal_not-the-token.ics").status_code == 404
    assert client.get("/calendar/something.ics").status_code == 404


def test_a_new_url_kills_the_old_one_and_turning_off_kills_it_too(viewer_client, client):
    old = make_feed(viewer_client)
    new = make_feed(viewer_client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    page = viewer_client.get("/calendar/feed/").content.decode()
    assert "Your feed is on since" in page and new not in page  # never shown again

    viewer_client.post("/calendar/feed/", {"action": "revoke"})
    assert client.get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_feed_dies_with_the_users_access(viewer, viewer_client, client):
    path = make_feed(viewer_client)
    viewer.groups.clear()
    assert client.get(path).status_code == 404
    viewer.is_active = False
    viewer.save()
    assert client.get(path).status_code == 404


def test_only_the_token_hash_is_stored(viewer_client):
    path = make_feed(viewer_client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert token.startswith("fcal_")
    assert CalendarFeed.objects.get().token_hash == CalendarFeed.hash_token(token) != token


def test_the_settings_page_needs_a_signed_in_user_who_may_see_the_calendar(client, outsider):
    assert client.get("/calendar/feed/").status_code == 302
    client.force_login(outsider)
    assert client.get("/calendar/feed/").status_code == 403
    assert client.post("/calendar/feed/", {"action": "create"}).status_code == 403
