"""The calendar as iCalendar (RFC 5545), for Google Calendar, Outlook and Apple Calendar."""

from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
from django.utils import timezone

from forgecrm.events.occurrence import Occurrence

PRODID = "-//Pixel Forge//Forge CRM//EN"
# Subscribed calendars refresh on their own schedule; this asks for twice a day.
REFRESH = timedelta(hours=12)


def _event(occurrence: Occurrence, *, site_url: str, host: str) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{occurrence.key}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", occurrence.date)
    event.add("dtend", occurrence.date + timedelta(days=1))
    summary = occurrence.title + (" (estimated)" if occurrence.is_estimated else "")
    event.add("summary", summary)
    event.add("categories", [occurrence.type_label])
    details = [occurrence.type_label, occurrence.client_name, occurrence.contact_name]
    event.add("description", "\n".join(part for part in details if part))
    if occurrence.url:
        event.add("url", site_url + occurrence.url)
    event.add("transp", "TRANSPARENT")  # a birthday does not make anyone busy
    return event


def calendar_ics(occurrences: list[Occurrence], *, site_url: str, name: str) -> bytes:
    """All-day events, one per occurrence, whose UIDs stay the same from one fetch to the
    next (the occurrence key), so calendar apps update them instead of duplicating."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    host = urlsplit(site_url).hostname or "forgecrm"
    for occurrence in occurrences:
        calendar.add_component(_event(occurrence, site_url=site_url, host=host))
    return calendar.to_ical()
