"""Reads for the calendar: the occurrences in a date range, upcoming dates, stored events.

Birthdays, anniversaries, client anniversaries and contract renewals are not copied into
ImportantDate: they are computed here from the contact and client fields at query time,
so they are typed once and vanish with their (soft-deleted) contact or client.
"""

import calendar
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrule
from django.db.models import Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from forgecrm.clients.models import EARLIEST_DATE, Client, ContactPerson
from forgecrm.events.holiday_calendar import (
    hijri_year,
    holidays_between,
    lunar_estimate,
    umm_al_qura_date,
)
from forgecrm.events.models import (
    MAX_NOTIFY_DAYS_BEFORE,
    CalendarFeed,
    EventType,
    HolidayOverride,
    ImportantDate,
    LunarHoliday,
    Recurrence,
)
from forgecrm.events.occurrence import Occurrence, Source, occurrence_key
from forgecrm.events.recurrence import build_rule, dates_between, on_or_last_day

logger = logging.getLogger(__name__)

TYPE_ORDER = {value: index for index, value in enumerate(EventType.values)}
MonthDay = tuple[int, int]


def visible_events() -> QuerySet[ImportantDate]:
    """Stored events, without those of a client or contact in the trash."""
    return ImportantDate.objects.filter(
        client__deleted_at__isnull=True,
        contact__deleted_at__isnull=True,
        contact__client__deleted_at__isnull=True,
    ).select_related("client", "contact")


def _rule(event: ImportantDate) -> rrule | None:
    try:
        return build_rule(event.rule_text(), event.date)
    except (ValueError, TypeError, KeyError):
        # Only rules saved around the form's checks get here; one must not break the calendar.
        logger.warning("Important date %s has an unusable rule %r", event.pk, event.rrule)
        return None


def event_dates(event: ImportantDate, start: date, end: date) -> list[date]:
    """The event's dates from `start` to `end`, both included.

    Yearly and monthly dates are counted out directly (with the rules' own fallback to a
    month's last day): a rule steps from the event's first date, decades of steps for an
    old founding day, and the reminders ask about every event every minute.
    """
    if event.recurrence == Recurrence.NONE:
        return [event.date] if start <= event.date <= end else []
    if event.recurrence in (Recurrence.YEARLY, Recurrence.MONTHLY):
        return _counted_out(event, max(start, event.date), end)
    rule = _rule(event)
    return dates_between(rule, start, end) if rule else []


def _counted_out(event: ImportantDate, start: date, end: date) -> list[date]:
    first = event.date
    if event.recurrence == Recurrence.YEARLY:
        months = [(year, first.month) for year in range(start.year, end.year + 1)]
    else:
        span = (end.year - start.year) * 12 + end.month - start.month
        months = [
            (start.year + (start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1)
            for n in range(span + 1)
        ]
    days = (on_or_last_day(year, month, first.day) for year, month in months)
    return [day for day in days if start <= day <= end]


def coming_within_notice(today: date) -> list[tuple[ImportantDate, Occurrence]]:
    """Each stored event with its occurrences from `today` to its `notify_days_before` days
    ahead: what its reminder (and greeting) is for."""
    events = (
        visible_events()
        .filter(date__lte=today + timedelta(days=MAX_NOTIFY_DAYS_BEFORE))
        .filter(~Q(recurrence=Recurrence.NONE) | Q(date__gte=today))
        .select_related("client__owner", "contact__client__owner")
    )
    return [
        (event, _event_occurrence(event, day))
        for event in events
        for day in event_dates(event, today, today + _notice(event))
    ]


def _notice(event: ImportantDate) -> timedelta:
    return timedelta(days=min(event.notify_days_before, MAX_NOTIFY_DAYS_BEFORE))


def next_dates(event: ImportantDate, *, count: int = 5) -> list[date]:
    """The event's next `count` dates from today on."""
    today = timezone.localdate()
    if event.recurrence == Recurrence.NONE:
        return [event.date] if event.date >= today else []
    rule = _rule(event)
    if rule is None:
        return []
    return [
        moment.date() for moment in rule.xafter(datetime.combine(today, time.min), count, inc=True)
    ]


def _stored(
    start: date, end: date, types: set[str] | None, client_id: int | None
) -> Iterator[Occurrence]:
    events = (
        visible_events()
        .filter(date__lte=end)
        .filter(~Q(recurrence=Recurrence.NONE) | Q(date__gte=start))
    )
    if types is not None:
        events = events.filter(event_type__in=types)
    if client_id is not None:
        events = events.filter(Q(client_id=client_id) | Q(contact__client_id=client_id))
    for event in events:
        for day in event_dates(event, start, end):
            yield _event_occurrence(event, day)


def _event_occurrence(event: ImportantDate, day: date) -> Occurrence:
    return Occurrence(
        key=occurrence_key(Source.EVENT, event.pk, day),
        source=Source.EVENT,
        source_id=str(event.pk),
        date=day,
        title=event.name,
        event_type=EventType(event.event_type),
        url=event.get_absolute_url(),
        client_id=event.client_id,
        client_name=event.client.name if event.client else "",
        contact_id=event.contact_id,
        contact_name=event.contact.full_name if event.contact else "",
        event_id=event.pk,
        is_estimated=event.is_estimated,
    )


# ---- Dates kept on contacts and clients ----


def _month_day_spans(start: date, end: date) -> list[tuple[MonthDay, MonthDay]] | None:
    """The (month, day) spans that [start, end] covers, or None when it covers them all.

    A 29 February date falls on 28 February in other years, so a span that ends on 28
    February of a common year reaches to 29 February.
    """
    if (end - start).days >= 365:
        return None
    spans: list[tuple[MonthDay, MonthDay]] = []
    for year in range(start.year, end.year + 1):
        first, last = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
        until = (last.month, last.day)
        if until == (2, 28) and not calendar.isleap(year):
            until = (2, 29)
        spans.append(((first.month, first.day), until))
    return None if ((1, 1), (12, 31)) in spans else spans


def _in_year(year: int, month_day: MonthDay, *, ending: bool) -> date:
    """That month and day in `year`; a missing 29 February ends on the 28th, starts on 1 Mar."""
    month, day = month_day
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28) if ending else date(year, 3, 1)
    return date(year, month, day)


# More BETWEENs than this in one query exceed SQLite's limit on an expression's depth
# (1,000); 300 covers every birth year since 1900 for ranges up to the year 2050.
MAX_RANGES = 300


def _recurring_in(
    queryset: QuerySet, field: str, start: date, end: date, *, one_client: bool
) -> QuerySet | None:
    """The rows of `queryset` whose yearly `field` comes round between `start` and `end`.

    One indexable BETWEEN per stored year and span (`birthday BETWEEN 1988-04-10 AND
    1988-05-10 OR ...`) rather than EXTRACT(month), so the plain index on `field` is used
    and a month of birthdays among 300,000 contacts is read without a full scan. Across
    the whole table it is a subquery on that table alone (joined with the clients, SQLite
    would rather scan); within one client the client's index is the better start. None
    when nothing can match.
    """
    # A lower bound is enough: all rows, so the index answers it without a scan.
    first = queryset.model.all_objects.aggregate(first=Min(field))["first"]
    if first is None or first.year >= end.year:
        return None
    spans = _month_day_spans(start, end)
    first_year = max(first.year, EARLIEST_DATE.year)
    if spans is None or (end.year - first_year) * len(spans) > MAX_RANGES:
        # Every row stored before the range (far-future ranges: a rare, bounded read).
        return queryset.filter(**{f"{field}__lt": date(end.year, 1, 1)})
    # Rows before EARLIEST_DATE (stored before it was checked) are all read: one range per
    # year since then would exceed SQLite's limit on an expression's depth.
    years = Q(**{f"{field}__lt": EARLIEST_DATE}) if first < EARLIEST_DATE else Q()
    for year in range(first_year, end.year):
        for since, until in spans:
            span = (_in_year(year, since, ending=False), _in_year(year, until, ending=True))
            years |= Q(**{f"{field}__range": span})
    if one_client:
        return queryset.filter(years)
    return queryset.filter(pk__in=queryset.model.all_objects.filter(years).values("pk"))


def _comes_round(original: date, start: date, end: date) -> Iterator[tuple[date, int]]:
    """Each (day, years since) that `original` recurs on between `start` and `end`."""
    for year in range(max(start.year, original.year + 1), end.year + 1):
        day = on_or_last_day(year, original.month, original.day)
        if start <= day <= end:
            yield day, year - original.year


@dataclass(frozen=True)
class _PersonalDate:
    source: Source
    field: str
    event_type: EventType
    label: str


PERSONAL_DATES = (
    _PersonalDate(Source.BIRTHDAY, "birthday", EventType.BIRTHDAY, "Birthday"),
    _PersonalDate(Source.CONTACT_ANNIVERSARY, "anniversary", EventType.ANNIVERSARY, "Anniversary"),
)


def _client_url_maker() -> Callable[[int], str]:
    """A client's page URL from its id, reversing once rather than once per row."""
    marker = 999_999_999
    before, after = reverse("clients:detail", args=[marker]).split(str(marker))
    return lambda client_id: f"{before}{client_id}{after}"


def _contact_dates(
    kind: _PersonalDate, start: date, end: date, client_id: int | None
) -> Iterator[Occurrence]:
    contacts = ContactPerson.objects.filter(client__deleted_at__isnull=True)
    if client_id is not None:
        contacts = contacts.filter(client_id=client_id)
    matching = _recurring_in(contacts, kind.field, start, end, one_client=client_id is not None)
    if matching is None:
        return
    rows = matching.order_by().values(  # no name order: it would steer the planner off
        "id", "first_name", "last_name", "client_id", "client__name", kind.field
    )
    client_url = _client_url_maker()
    for row in rows:
        name = f"{row['first_name']} {row['last_name']}".strip()
        for day, _ in _comes_round(row[kind.field], start, end):
            yield Occurrence(
                key=occurrence_key(kind.source, row["id"], day),
                source=kind.source,
                source_id=str(row["id"]),
                date=day,
                title=f"{kind.label}: {name}",
                event_type=kind.event_type,
                url=f"{client_url(row['client_id'])}#contact-{row['id']}",
                client_id=row["client_id"],
                client_name=row["client__name"],
                contact_id=row["id"],
                contact_name=name,
            )


def _client_since(
    start: date, end: date, clients: QuerySet, *, one_client: bool
) -> Iterator[Occurrence]:
    matching = _recurring_in(clients, "client_since", start, end, one_client=one_client)
    if matching is None:
        return
    client_url = _client_url_maker()
    for row in matching.order_by().values("id", "name", "client_since"):
        for day, years in _comes_round(row["client_since"], start, end):
            yield Occurrence(
                key=occurrence_key(Source.CLIENT_SINCE, row["id"], day),
                source=Source.CLIENT_SINCE,
                source_id=str(row["id"]),
                date=day,
                title=f"{row['name']}: {years} year{'s' if years > 1 else ''} with us",
                event_type=EventType.ANNIVERSARY,
                url=client_url(row["id"]),
                client_id=row["id"],
                client_name=row["name"],
            )


def _renewals(start: date, end: date, clients: QuerySet) -> Iterator[Occurrence]:
    matching = clients.filter(contract_renewal_date__range=(start, end)).order_by()
    client_url = _client_url_maker()
    for row in matching.values("id", "name", "contract_renewal_date"):
        day = row["contract_renewal_date"]
        yield Occurrence(
            key=occurrence_key(Source.CONTRACT_RENEWAL, row["id"], day),
            source=Source.CONTRACT_RENEWAL,
            source_id=str(row["id"]),
            date=day,
            title=f"Contract renewal: {row['name']}",
            event_type=EventType.CONTRACT_RENEWAL,
            url=client_url(row["id"]),
            client_id=row["id"],
            client_name=row["name"],
        )


def _derived(
    start: date, end: date, types: set[str] | None, client_id: int | None
) -> Iterator[Occurrence]:
    def wanted(event_type: EventType) -> bool:
        return types is None or event_type in types

    for kind in PERSONAL_DATES:
        if wanted(kind.event_type):
            yield from _contact_dates(kind, start, end, client_id)
    clients = Client.objects.all() if client_id is None else Client.objects.filter(pk=client_id)
    if wanted(EventType.ANNIVERSARY):
        yield from _client_since(start, end, clients, one_client=client_id is not None)
    if wanted(EventType.CONTRACT_RENEWAL):
        yield from _renewals(start, end, clients)


# ---- Holidays ----


def holiday_overrides(start: date, end: date) -> dict[tuple[str, int], date]:
    """Confirmed lunar holiday dates near [start, end], by (holiday key, Islamic year)."""
    years = (hijri_year(start - timedelta(days=30)), hijri_year(end + timedelta(days=30)))
    rows = HolidayOverride.objects.filter(hijri_year__range=years)
    return {(row.holiday, row.hijri_year): row.date for row in rows}


@dataclass(frozen=True)
class LunarHolidayState:
    holiday: LunarHoliday
    hijri_year: int
    estimate: date
    umm_al_qura: date | None
    confirmed: date | None

    @property
    def date(self) -> date:
        return self.confirmed or self.estimate


def lunar_holiday_state(holiday: LunarHoliday, year: int) -> LunarHolidayState | None:
    """An Eid in Islamic `year`: the estimate, Saudi Arabia's date and any confirmed date."""
    estimate = lunar_estimate(holiday, year)
    if estimate is None:
        return None
    override = HolidayOverride.objects.filter(holiday=holiday, hijri_year=year).first()
    return LunarHolidayState(
        holiday=holiday,
        hijri_year=year,
        estimate=estimate,
        umm_al_qura=umm_al_qura_date(holiday, year),
        confirmed=override.date if override else None,
    )


# ---- Together ----


def occurrences(
    start: date,
    end: date,
    *,
    types: Iterable[str] | None = None,
    client: Client | int | None = None,
) -> list[Occurrence]:
    """Everything on the calendar from `start` to `end` (both included), in date order.

    Stored events expanded by their rules, birthdays and anniversaries of contacts,
    clients' anniversaries and contract renewals, and holidays (left out when asking
    about one client). A handful of queries, whatever the number of contacts.
    """
    wanted = None if types is None else set(types)
    client_id = client.pk if isinstance(client, Client) else client
    found = [*_stored(start, end, wanted, client_id), *_derived(start, end, wanted, client_id)]
    if client_id is None and (wanted is None or EventType.HOLIDAY in wanted):
        found += holidays_between(start, end, holiday_overrides(start, end))
    return sorted(found, key=lambda o: (o.date, TYPE_ORDER[o.event_type], o.title, o.key))


def upcoming(days: int, *, client: Client | int | None = None) -> list[Occurrence]:
    """Occurrences from today (in the active time zone) to `days` days ahead."""
    today = timezone.localdate()
    return occurrences(today, today + timedelta(days=days), client=client)


def calendar_feed(raw: str) -> CalendarFeed | None:
    """The feed `raw` opens: a live token of an active user who may see the calendar."""
    if not raw.startswith(CalendarFeed.TOKEN_PREFIX):
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=CalendarFeed.hash_token(raw), user__is_active=True)
        .first()
    )
    if feed is None or not feed.user.has_perm("events.view_importantdate"):
        return None
    return feed
