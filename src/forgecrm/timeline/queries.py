"""Reads for the communication log: lists, a client's timeline, insights, recent activity.

Private notes are visible only to their author and to admins: every read here starts
from `visible_communications(user)`.
"""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from forgecrm.accounts.roles import ADMIN
from forgecrm.clients.models import Client, RelationshipStatus
from forgecrm.timeline import fulltext
from forgecrm.timeline.models import Communication, CommunicationDirection, CommunicationType

PAGE_SIZE = 10
# Contact with the client (notes and tasks are internal).
INTERACTION_KINDS = (
    CommunicationType.EMAIL,
    CommunicationType.CALL,
    CommunicationType.MEETING,
    CommunicationType.WHATSAPP,
    CommunicationType.SMS,
)
# Written messages, which can be answered: the response rate compares these.
MESSAGE_KINDS = (CommunicationType.EMAIL, CommunicationType.WHATSAPP, CommunicationType.SMS)


def sees_all_private(user: Any) -> bool:
    """Admins (the admin role) and superusers read every private note.

    The answer is kept on the user object, so a request asks the database once.
    """
    if user.is_superuser:
        return True
    if not hasattr(user, "_forgecrm_sees_all_private"):
        user._forgecrm_sees_all_private = user.groups.filter(name=ADMIN).exists()
    return user._forgecrm_sees_all_private


def visible_communications(user: Any) -> QuerySet[Communication]:
    """What `user` may read: no client in the trash, no private note of someone else."""
    queryset = Communication.objects.filter(client__deleted_at__isnull=True)
    if not sees_all_private(user):
        queryset = queryset.filter(Q(is_private=False) | Q(created_by=user.pk))
    return queryset


def with_details(queryset: QuerySet[Communication]) -> QuerySet[Communication]:
    """What an entry shows (people, linked e-mail), fetched in a fixed number of queries."""
    return (
        queryset.select_related("client", "contact", "created_by", "email")
        .defer("email__body_html", "email__body_text", "client__search_text")
        .prefetch_related("participant_contacts", "participant_users")
    )


@dataclass(frozen=True)
class CommunicationFilters:
    client: int | None = None
    contact: int | None = None
    kind: str = ""
    direction: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""


# The first and last days whose midnight exists in UTC from every zone: a filter on a day
# beyond them (0001-01-01, 9999-12-31) would overflow and fail with a 500.
FIRST_DAY, LAST_DAY = date.min + timedelta(days=1), date.max - timedelta(days=2)


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the current time zone (the user's)."""
    return timezone.make_aware(datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), time.min))


def _end_of(day: date) -> datetime:
    """The midnight that ends `day` in the current time zone."""
    return _start_of(min(day, LAST_DAY - timedelta(days=1)) + timedelta(days=1))


def communication_list(filters: CommunicationFilters, *, user: Any) -> QuerySet[Communication]:
    """Entries matching `filters` that `user` may read, newest first."""
    queryset = visible_communications(user)
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    if filters.contact:
        through = Communication.participant_contacts.through.objects
        queryset = queryset.filter(
            Q(contact_id=filters.contact)
            | Q(pk__in=through.filter(contactperson_id=filters.contact).values("communication"))
        )
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.direction:
        queryset = queryset.filter(direction=filters.direction)
    if filters.date_from:
        queryset = queryset.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(occurred_at__lt=_end_of(filters.date_to))
    if filters.q:
        queryset = fulltext.matching(queryset, filters.q, scope=filters.client)
    return with_details(queryset).order_by("-occurred_at", "-id")


def client_timeline(
    client: Client, *, user: Any, kind: str = "", q: str = ""
) -> QuerySet[Communication]:
    """The entries of `client`'s timeline `user` may read, newest first."""
    return communication_list(CommunicationFilters(client=client.pk, kind=kind, q=q), user=user)


# ---- A client's timeline, page by page -------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Communication]
    next_cursor: str | None


def _cursor(entry: Communication) -> str:
    return f"{int(entry.occurred_at.timestamp() * 1_000_000)}.{entry.pk}"


def _position(cursor: str) -> tuple[datetime, int] | None:
    """('1735689600000000.42') -> (that instant, 42); None for anything malformed."""
    try:
        micros, pk = (int(part) for part in cursor.split("."))
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), pk
    except (ValueError, OverflowError, OSError):
        return None


def timeline_page(
    queryset: QuerySet[Communication], *, cursor: str = "", size: int = PAGE_SIZE
) -> TimelinePage:
    """The `size` entries after `cursor` (from the top without one), newest first.

    Keyset pagination: each page costs the same however deep it is, and entries logged
    meanwhile do not shift the pages.
    """
    position = _position(cursor) if cursor else None
    if position:
        occurred, pk = position
        queryset = queryset.filter(Q(occurred_at__lt=occurred) | Q(occurred_at=occurred, pk__lt=pk))
    entries = list(queryset[: size + 1])
    if len(entries) <= size:
        return TimelinePage(entries, None)
    return TimelinePage(entries[:size], _cursor(entries[size - 1]))


# ---- Relationship insights -----------------------------------------------------------------

INSIGHT_MONTHS = 6
RECENCY_DAYS = 90
FREQUENCY_TARGET = 4  # interactions a month that count as fully engaged
SCORE_WEIGHTS = {"recency": 40, "frequency": 30, "response": 30}


@dataclass(frozen=True)
class MonthCount:
    month: date
    count: int


@dataclass(frozen=True)
class Insights:
    last_contacted: datetime | None
    days_since_contact: int | None
    months: list[MonthCount]
    per_month: float
    preferred_kind: str | None
    preferred_count: int
    total: int
    inbound: int
    outbound: int
    response_rate: float | None
    recency_points: float
    frequency_points: float
    response_points: float

    @property
    def score(self) -> int:
        return round(self.recency_points + self.frequency_points + self.response_points)

    @property
    def busiest_month(self) -> int:
        return max((m.count for m in self.months), default=0)

    @property
    def preferred_label(self) -> str | None:
        return CommunicationType(self.preferred_kind).label if self.preferred_kind else None


def _month_starts(now: datetime, count: int) -> list[date]:
    """The first days of the last `count` calendar months, the current one last, and of the
    next month (the end of the current one)."""
    first = timezone.localtime(now).date().replace(day=1)
    months = [first, (first + timedelta(days=32)).replace(day=1)]
    while len(months) <= count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def client_insights(client: Client, *, now: datetime | None = None) -> Insights:
    """Last contact, frequency, preferred channel, response rate and engagement, in one query.

    Only interactions count (see INTERACTION_KINDS); months are the current time zone's.
    Each month is a filtered count over one index range, not a date function run per row.
    """
    now = now or timezone.now()
    bounds = _month_starts(now, INSIGHT_MONTHS)
    months = {
        f"month_{i}": Count(
            "id", filter=Q(occurred_at__gte=_start_of(start), occurred_at__lt=_start_of(end))
        )
        for i, (start, end) in enumerate(itertools.pairwise(bounds))
    }
    rows: list[Mapping[str, Any]] = list(
        Communication.objects.filter(
            client=client, kind__in=INTERACTION_KINDS, occurred_at__lte=now
        )
        .values("kind", "direction")
        .annotate(n=Count("id"), last=Max("occurred_at"), **months)
        .order_by()
    )
    per_month = [0] * INSIGHT_MONTHS
    by_kind: dict[str, tuple[int, datetime]] = {}
    inbound = outbound = 0
    last: datetime | None = None
    for row in rows:
        last = max(last, row["last"]) if last else row["last"]
        count, latest = by_kind.get(row["kind"], (0, row["last"]))
        by_kind[row["kind"]] = (count + row["n"], max(latest, row["last"]))
        recent = [row[name] for name in months]
        per_month = [a + b for a, b in zip(per_month, recent, strict=True)]
        if row["kind"] in MESSAGE_KINDS:
            if row["direction"] == CommunicationDirection.INBOUND:
                inbound += sum(recent)
            else:
                outbound += sum(recent)
    preferred = max(by_kind.items(), key=lambda item: item[1], default=None)
    average = sum(per_month) / INSIGHT_MONTHS
    rate = min(1.0, inbound / outbound) if outbound else None
    days = (now - last).days if last else None
    recency = max(0.0, 1 - days / RECENCY_DAYS) if days is not None else 0.0
    return Insights(
        last_contacted=last,
        days_since_contact=days,
        months=[MonthCount(month, n) for month, n in zip(bounds, per_month, strict=False)],
        per_month=average,
        preferred_kind=preferred[0] if preferred else None,
        preferred_count=preferred[1][0] if preferred else 0,
        total=sum(count for count, _ in by_kind.values()),
        inbound=inbound,
        outbound=outbound,
        response_rate=rate,
        recency_points=SCORE_WEIGHTS["recency"] * recency,
        frequency_points=SCORE_WEIGHTS["frequency"] * min(1.0, average / FREQUENCY_TARGET),
        response_points=SCORE_WEIGHTS["response"] * (rate or 0.0),
    )


# ---- Recent activity (dashboard) ----------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    when: datetime
    icon: str
    title: str
    detail: str
    url: str | None
    actor: Any


def recent_activity(user: Any, *, limit: int = 10) -> list[Activity]:
    """Latest communications, new clients and status changes, newest first, as `user` may see."""
    items: list[Activity] = []
    if user.has_perm("timeline.view_communication"):
        items += _recent_communications(user, limit)
    if user.has_perm("clients.view_client"):
        items += _new_clients(limit) + _status_changes(limit)
    items.sort(key=lambda item: item.when, reverse=True)
    return items[:limit]


def _recent_communications(user: Any, limit: int) -> list[Activity]:
    entries = (
        visible_communications(user)
        .filter(occurred_at__lte=timezone.now())
        .select_related("client", "created_by")
        .only(
            "kind",
            "direction",
            "subject",
            "occurred_at",
            "client__name",
            "created_by__username",
            "created_by__first_name",
            "created_by__last_name",
        )
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [
        Activity(
            when=entry.occurred_at,
            icon=entry.icon,
            title=f"{entry.get_kind_display()} · {entry.client.name}",
            detail=entry.subject,
            url=entry.get_absolute_url(),
            actor=entry.created_by,
        )
        for entry in entries
    ]


def _new_clients(limit: int) -> list[Activity]:
    clients = (
        Client.objects.select_related("owner")
        .only(
            "name",
            "status",
            "created_at",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        Activity(
            when=client.created_at,
            icon="building-add",
            title=f"New client · {client.name}",
            detail=client.get_status_display(),
            url=client.get_absolute_url(),
            actor=client.owner,
        )
        for client in clients
    ]


def _status_changes(limit: int) -> list[Activity]:
    """Clients' status changes, read from the audit log (clients in the trash left out)."""
    entries = list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Client),
            action=LogEntry.Action.UPDATE,
            changes__has_key="status",
        )
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )
    alive = set(
        Client.objects.filter(pk__in=[e.object_id for e in entries]).values_list("pk", flat=True)
    )
    labels = dict(RelationshipStatus.choices)
    items = []
    for entry in entries:
        if entry.object_id not in alive:
            continue
        old, new = entry.changes["status"]
        items.append(
            Activity(
                when=entry.timestamp,
                icon="arrow-left-right",
                title=f"Status changed · {entry.object_repr}",
                detail=f"{labels.get(old, old)} → {labels.get(new, new)}",
                url=Client(pk=entry.object_id).get_absolute_url(),
                actor=entry.actor,
            )
        )
    return items
