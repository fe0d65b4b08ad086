"""occurrences(): stored events expanded by their rules, and dates derived from clients and
contacts without being stored twice."""

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from forgecrm.events.models import EventType, Recurrence
from forgecrm.events.occurrence import Source
from forgecrm.events.queries import occurrences, upcoming
from tests.events.factories import ImportantDateFactory
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOT_HOLIDAYS = [t for t in EventType.values if t != EventType.HOLIDAY]


def dates(found, source=None):
    return [o.date for o in found if source is None or o.source == source]


def test_a_yearly_event_repeats_across_years_with_a_stable_key():
    event = ImportantDateFactory(name="Company day", date=date(2024, 7, 1))
    found = occurrences(date(2025, 1, 1), date(2027, 12, 31), types=NOT_HOLIDAYS)
    assert dates(found) == [date(2025, 7, 1), date(2026, 7, 1), date(2027, 7, 1)]
    first = found[0]
    assert first.key == f"event:{event.pk}:2025-07-01"
    assert (first.source, first.event_id, first.title) == (Source.EVENT, event.pk, "Company day")
    assert first.url == f"/admin/crm/calendar/events/{event.pk}/"


def test_nothing_before_the_first_date_and_a_one_off_only_once():
    ImportantDateFactory(date=date(2026, 5, 10), recurrence=Recurrence.YEARLY)
    ImportantDateFactory(date=date(2026, 6, 1), recurrence=Recurrence.NONE)
    assert dates(occurrences(date(2025, 1, 1), date(2025, 12, 31), types=NOT_HOLIDAYS)) == []
    assert dates(occurrences(date(2026, 1, 1), date(2027, 12, 31), types=NOT_HOLIDAYS)) == [
        date(2026, 5, 10),
        date(2026, 6, 1),
        date(2027, 5, 10),
    ]


def test_a_yearly_29_february_event_is_on_28_february_in_common_years():
    ImportantDateFactory(date=date(2024, 2, 29))
    found = occurrences(date(2025, 1, 1), date(2028, 12, 31), types=NOT_HOLIDAYS)
    assert dates(found) == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_a_monthly_event_on_the_31st():
    ImportantDateFactory(date=date(2026, 1, 31), recurrence=Recurrence.MONTHLY)
    found = occurrences(date(2026, 2, 1), date(2026, 5, 31), types=NOT_HOLIDAYS)
    assert dates(found) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_a_custom_rule_last_friday_of_each_quarter():
    ImportantDateFactory(
        date=date(2026, 1, 1),
        recurrence=Recurrence.CUSTOM,
        rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR",
    )
    found = occurrences(date(2026, 1, 1), date(2026, 12, 31), types=NOT_HOLIDAYS)
    assert dates(found) == [
        date(2026, 1, 30),
        date(2026, 4, 24),
        date(2026, 7, 31),
        date(2026, 10, 30),
    ]


def test_a_stored_rule_that_would_repeat_for_ever_leaves_the_calendar_working():
    """Saved before such rules were refused (INTERVAL=0 repeated one date endlessly)."""
    ImportantDateFactory(
        date=date(2026, 1, 1), recurrence=Recurrence.CUSTOM, rrule="FREQ=DAILY;INTERVAL=0"
    )
    ImportantDateFactory(date=date(2026, 3, 5), recurrence=Recurrence.YEARLY)
    found = occurrences(date(2026, 1, 1), date(2026, 12, 31), types=NOT_HOLIDAYS)
    assert dates(found) == [date(2026, 3, 5)]


def test_a_birthday_stored_with_a_mistyped_year_neither_breaks_nor_hides_the_calendar():
    """Saved before years from 1900 were required: "90" for 1990 is the year 0090."""
    slip = ContactFactory(first_name="Slip", birthday=date(90, 5, 3))
    other = ContactFactory(first_name="Karim", birthday=date(1985, 5, 20))
    found = occurrences(date(2026, 5, 1), date(2026, 5, 31), types=NOT_HOLIDAYS)
    assert [(o.contact_id, o.date) for o in found] == [
        (slip.pk, date(2026, 5, 3)),
        (other.pk, date(2026, 5, 20)),
    ]
    within_client = occurrences(
        date(2026, 5, 1), date(2026, 5, 31), types=NOT_HOLIDAYS, client=other.client_id
    )
    assert [o.contact_id for o in within_client] == [other.pk]


def test_birthdays_and_anniversaries_come_from_contacts_without_stored_rows():
    contact = ContactFactory(
        first_name="Rahim",
        last_name="Uddin",
        birthday=date(1988, 5, 3),
        anniversary=date(2015, 12, 20),
    )
    found = occurrences(date(2026, 5, 1), date(2026, 12, 31), types=NOT_HOLIDAYS)
    birthday, anniversary = found
    assert (birthday.date, birthday.title, birthday.event_type) == (
        date(2026, 5, 3),
        "Birthday: Rahim Uddin",
        EventType.BIRTHDAY,
    )
    assert birthday.key == f"contact-birthday:{contact.pk}:2026-05-03"
    assert birthday.url == f"/admin/crm/clients/{contact.client_id}/#contact-{contact.pk}"
    assert (birthday.client_id, birthday.contact_id) == (contact.client_id, contact.pk)
    assert (anniversary.date, anniversary.source) == (
        date(2026, 12, 20),
        Source.CONTACT_ANNIVERSARY,
    )


def test_a_29_february_birthday_is_on_28_february_in_common_years():
    ContactFactory(birthday=date(2000, 2, 29))
    assert dates(occurrences(date(2027, 2, 28), date(2027, 2, 28), types=["birthday"])) == [
        date(2027, 2, 28)
    ]
    assert dates(occurrences(date(2027, 3, 1), date(2027, 3, 31), types=["birthday"])) == []
    assert dates(occurrences(date(2028, 2, 1), date(2028, 3, 31), types=["birthday"])) == [
        date(2028, 2, 29)
    ]
    assert dates(occurrences(date(2028, 2, 28), date(2028, 2, 28), types=["birthday"])) == []


def test_birthdays_across_the_new_year_and_over_a_whole_year():
    for day in (date(1990, 12, 30), date(1985, 1, 2), date(1979, 6, 15)):
        ContactFactory(birthday=day)
    assert dates(occurrences(date(2026, 12, 20), date(2027, 1, 10), types=["birthday"])) == [
        date(2026, 12, 30),
        date(2027, 1, 2),
    ]
    assert len(occurrences(date(2026, 1, 1), date(2027, 12, 31), types=["birthday"])) == 6


def test_no_birthday_before_the_person_was_born():
    ContactFactory(birthday=date(2026, 3, 1))
    assert dates(occurrences(date(2026, 1, 1), date(2027, 12, 31), types=["birthday"])) == [
        date(2027, 3, 1)
    ]


def test_client_anniversaries_and_contract_renewals_come_from_the_client():
    client = ClientFactory(
        name="Meghna Soft", client_since=date(2021, 3, 10), contract_renewal_date=date(2026, 9, 30)
    )
    found = occurrences(date(2026, 1, 1), date(2026, 12, 31), types=NOT_HOLIDAYS)
    since, renewal = found
    assert (since.date, since.title, since.source) == (
        date(2026, 3, 10),
        "Meghna Soft: 5 years with us",
        Source.CLIENT_SINCE,
    )
    assert (renewal.date, renewal.title, renewal.event_type) == (
        date(2026, 9, 30),
        "Contract renewal: Meghna Soft",
        EventType.CONTRACT_RENEWAL,
    )
    assert renewal.url == f"/admin/crm/clients/{client.pk}/"
    assert renewal.key == f"contract-renewal:{client.pk}:2026-09-30"
    assert dates(occurrences(date(2022, 1, 1), date(2022, 12, 31), types=NOT_HOLIDAYS)) == [
        date(2022, 3, 10)
    ]
    assert occurrences(date(2022, 1, 1), date(2022, 12, 31), types=NOT_HOLIDAYS)[0].title == (
        "Meghna Soft: 1 year with us"
    )


def test_dates_of_deleted_contacts_and_clients_disappear():
    contact = ContactFactory(birthday=date(1990, 8, 1))
    other = ContactFactory(birthday=date(1991, 8, 2))
    ImportantDateFactory(date=date(2026, 8, 3), contact=contact, client=contact.client)
    window = (date(2026, 8, 1), date(2026, 8, 31))
    assert len(occurrences(*window, types=NOT_HOLIDAYS)) == 3

    contact.deleted_at = timezone.now()
    contact.save()
    assert dates(occurrences(*window, types=NOT_HOLIDAYS)) == [date(2026, 8, 2)]

    other.client.deleted_at = timezone.now()
    other.client.save()
    assert occurrences(*window, types=NOT_HOLIDAYS) == []


def test_filter_by_type_and_by_client():
    mine = ContactFactory(birthday=date(1990, 8, 1))
    ContactFactory(birthday=date(1990, 8, 2))
    ImportantDateFactory(
        date=date(2026, 8, 3), client=mine.client, event_type=EventType.BUSINESS_MILESTONE
    )
    window = (date(2026, 8, 1), date(2026, 8, 31))

    only_mine = occurrences(*window, client=mine.client)
    assert dates(only_mine) == [date(2026, 8, 1), date(2026, 8, 3)]  # no holidays either
    assert dates(occurrences(*window, client=mine.client.pk, types=["birthday"])) == [
        date(2026, 8, 1)
    ]
    milestones = occurrences(*window, types=[EventType.BUSINESS_MILESTONE])
    assert [o.event_type for o in milestones] == [EventType.BUSINESS_MILESTONE]


def test_a_few_queries_whatever_the_number_of_rows(django_assert_max_num_queries):
    for n in range(30):
        contact = ContactFactory(
            birthday=date(1980 + n, 1 + n % 12, 1 + n % 28), anniversary=date(2010, 1 + n % 12, 5)
        )
        ImportantDateFactory(
            client=contact.client, contact=contact, date=date(2026, 1 + n % 12, 10)
        )
        contact.client.client_since = date(2015, 1 + n % 12, 20)
        contact.client.contract_renewal_date = date(2026, 1 + n % 12, 25)
        contact.client.save()
    with django_assert_max_num_queries(9):
        found = occurrences(date(2026, 1, 1), date(2026, 12, 31))
    assert len([o for o in found if o.event_type != EventType.HOLIDAY]) == 150


def test_upcoming_starts_today():
    ContactFactory(birthday=date(1990, 11, 24))
    ContactFactory(birthday=date(1990, 11, 25))
    ContactFactory(birthday=date(1990, 12, 2))
    ContactFactory(birthday=date(1990, 12, 25))
    ContactFactory(birthday=date(1990, 12, 26))
    with time_machine.travel(date(2026, 11, 25)):
        week = [o.date for o in upcoming(7) if o.source == Source.BIRTHDAY]
        month = [o.date for o in upcoming(30) if o.source == Source.BIRTHDAY]
    assert week == [date(2026, 11, 25), date(2026, 12, 2)]  # today to 7 days on
    assert month == [date(2026, 11, 25), date(2026, 12, 2), date(2026, 12, 25)]


def test_yearly_and_monthly_dates_counted_out_match_their_rules():
    """event_dates counts yearly and monthly dates out directly; the RFC 5545 rules they
    export (29 Feb on 28 Feb, a 31st on a month's last day) must give the very same days."""
    import random
    from datetime import timedelta

    from forgecrm.events.models import ImportantDate
    from forgecrm.events.queries import event_dates
    from forgecrm.events.recurrence import build_rule, dates_between

    rng = random.Random(2026)
    for _ in range(3000):
        first = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 100))
        event = ImportantDate(
            date=first, recurrence=rng.choice([Recurrence.YEARLY, Recurrence.MONTHLY])
        )
        start = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 120))
        end = start + timedelta(days=rng.randrange(800))
        by_rule = dates_between(build_rule(event.rule_text(), first), start, end)
        assert event_dates(event, start, end) == by_rule, (first, event.recurrence, start, end)


def test_a_range_far_ahead_over_new_year_still_finds_birthdays():
    """One BETWEEN per birth year since 1900, twice when the range crosses New Year, would
    exceed SQLite's expression depth for the years around 2150."""
    born = ContactFactory(first_name="Old", birthday=date(1900, 12, 31))
    found = occurrences(date(2150, 12, 20), date(2151, 1, 10), types=NOT_HOLIDAYS)
    assert [(o.contact_id, o.date) for o in found] == [(born.pk, date(2150, 12, 31))]
