"""Writes for important dates, confirmed holidays and calendar feeds.

Each runs in a transaction; changes to CRM data are audited as `actor`.
"""

import secrets
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from forgecrm.core.audit import acting_as
from forgecrm.events import greetings
from forgecrm.events.models import CalendarFeed, HolidayOverride, ImportantDate, LunarHoliday
from forgecrm.events.occurrence import Source, occurrence_key

Actor = User | None


@transaction.atomic
def event_create(*, fields: dict[str, Any], actor: Actor) -> ImportantDate:
    """Store an important date from a valid form's `cleaned_data`."""
    with acting_as(actor):
        return ImportantDate.objects.create(**fields)


@transaction.atomic
def event_update(*, event: ImportantDate, fields: dict[str, Any], actor: Actor) -> ImportantDate:
    with acting_as(actor):
        for name, value in fields.items():
            setattr(event, name, value)
        event.save()
    return event


@transaction.atomic
def event_delete(*, event: ImportantDate, actor: Actor) -> None:
    with acting_as(actor):
        event.delete()


@transaction.atomic
def holiday_confirm(
    *, holiday: LunarHoliday, hijri_year: int, day: date, actor: Actor
) -> HolidayOverride:
    """Record the sighted date of an Eid; it replaces the estimate everywhere, and the
    greetings prepared for it and not sent yet move to that day."""
    with acting_as(actor):
        override, _ = HolidayOverride.objects.update_or_create(
            holiday=holiday, hijri_year=hijri_year, defaults={"date": day}
        )
    greetings.follow_moved_occasion(_holiday_key(holiday, hijri_year))
    return override


@transaction.atomic
def holiday_reset(*, holiday: LunarHoliday, hijri_year: int, actor: Actor) -> None:
    """Go back to the library's estimate (greetings not sent yet move back with it)."""
    with acting_as(actor):
        for override in HolidayOverride.objects.filter(holiday=holiday, hijri_year=hijri_year):
            override.delete()
    greetings.follow_moved_occasion(_holiday_key(holiday, hijri_year))


def _holiday_key(holiday: LunarHoliday, hijri_year: int) -> str:
    return occurrence_key(Source.HOLIDAY, LunarHoliday(holiday).value, hijri_year)


@transaction.atomic
def feed_create(*, user: User) -> str:
    """A new private feed URL token for `user`; any previous one stops working.

    Returns the token, which is not stored and cannot be shown again.
    """
    raw = CalendarFeed.TOKEN_PREFIX + secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={
            "token_hash": CalendarFeed.hash_token(raw),
            "created_at": timezone.now(),
            "last_used_at": None,
        },
    )
    return raw


def feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def feed_mark_used(feed: CalendarFeed) -> None:
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
