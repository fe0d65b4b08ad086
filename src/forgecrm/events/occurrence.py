"""One day on the calendar, whatever it comes from."""

from dataclasses import dataclass
from datetime import date

from django.db import models

from forgecrm.events.models import EventType


class Source(models.TextChoices):
    """Where an occurrence comes from; derived ones are computed, never stored."""

    EVENT = "event", "Important date"
    BIRTHDAY = "contact-birthday", "Contact's birthday"
    CONTACT_ANNIVERSARY = "contact-anniversary", "Contact's anniversary"
    CLIENT_SINCE = "client-since", "Client's anniversary with us"
    CONTRACT_RENEWAL = "contract-renewal", "Contract renewal"
    HOLIDAY = "holiday", "Holiday"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A date on the calendar.

    `key` names this occurrence for good — `source:source_id:date` — so that anything done
    about it (a greeting sent, a reminder shown) can be recorded once against it. Built-in
    holidays happen once a year and carry the year instead of the date: the Gregorian year,
    or for Eid the Islamic year, because its date may still move when the moon is sighted.
    """

    key: str
    source: Source
    source_id: str
    date: date
    title: str
    event_type: EventType
    url: str = ""
    client_id: int | None = None
    client_name: str = ""
    contact_id: int | None = None
    contact_name: str = ""
    event_id: int | None = None
    is_estimated: bool = False

    @property
    def type_label(self) -> str:
        return EventType(self.event_type).label


def occurrence_key(source: Source, source_id: object, when: date | int) -> str:
    """'event:12:2026-04-14', 'contact-birthday:7:2026-05-01', 'holiday:eid-ul-fitr:1448'."""
    stamp = when.isoformat() if isinstance(when, date) else str(when)
    return f"{source.value}:{source_id}:{stamp}"
