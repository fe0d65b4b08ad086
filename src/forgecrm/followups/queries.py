"""Reads for follow-ups: the filtered list and the dashboard's sections.

"Overdue" is never stored: an open follow-up is overdue when its due time has passed.
"""

import heapq
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import islice

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from forgecrm.emails.queries import user_zone
from forgecrm.followups.models import FollowUpStatus, FollowUpTask

OPEN = (FollowUpStatus.PENDING, FollowUpStatus.IN_PROGRESS)
UPCOMING_DAYS = 7
# Rows shown per section (each section says how many more there are): rendering rows is
# most of the page's time, 100 per section took it over 100 ms.
SECTION_LIMIT = 25


@dataclass(frozen=True)
class FollowUpFilters:
    client: int | None = None
    task_type: str = ""
    priority: str = ""
    assignee: int | None = None
    status: str = ""  # a stored status, "open" or "overdue"


def with_details(queryset: QuerySet[FollowUpTask]) -> QuerySet[FollowUpTask]:
    return queryset.select_related("client", "contact", "assignee")


def followup_list(
    filters: FollowUpFilters, *, now: datetime | None = None
) -> QuerySet[FollowUpTask]:
    """Follow-ups of live clients matching `filters`, soonest due first."""
    now = now or timezone.now()
    queryset = FollowUpTask.objects.filter(client__deleted_at__isnull=True)
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    if filters.task_type:
        queryset = queryset.filter(task_type=filters.task_type)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.assignee:
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN)
    elif filters.status == "overdue":
        queryset = queryset.filter(status__in=OPEN, due_at__lt=now)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    return with_details(queryset).order_by("due_at", "id")


def day_bounds(now: datetime, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """Start of today and of tomorrow in `zone`, as aware instants."""
    today = timezone.localtime(now, zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    return start, datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)


@dataclass
class Dashboard:
    overdue: list[FollowUpTask] = field(default_factory=list)
    today: list[FollowUpTask] = field(default_factory=list)
    upcoming: list[FollowUpTask] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


def dashboard(
    filters: FollowUpFilters,
    *,
    user: User | None,
    now: datetime | None = None,
    limit: int = SECTION_LIMIT,
) -> Dashboard:
    """Open follow-ups: overdue, due (later) today in the user's time zone, next 7 days.

    The first `limit` of each section plus each section's count: ten queries at most
    whatever the number of follow-ups (a long overdue list never hides today's).
    """
    now = now or timezone.now()
    _, tomorrow = day_bounds(now, user_zone(user))
    horizon = tomorrow + timedelta(days=UPCOMING_DAYS)
    open_rows = followup_list(
        FollowUpFilters(
            client=filters.client,
            task_type=filters.task_type,
            priority=filters.priority,
            assignee=filters.assignee,
        ),
        now=now,
    ).filter(status__in=OPEN)
    ranges = {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lt=tomorrow),
        "upcoming": Q(due_at__gte=tomorrow, due_at__lt=horizon),
    }
    counts = open_rows.order_by().aggregate(
        **{name: Count("pk", filter=condition) for name, condition in ranges.items()}
    )
    sections = {
        name: _section_rows(open_rows, condition, limit) if counts[name] else []
        for name, condition in ranges.items()
    }
    return Dashboard(**sections, counts=counts)


def _section_rows(
    open_rows: QuerySet[FollowUpTask], condition: Q, limit: int
) -> list[FollowUpTask]:
    """The first `limit` follow-ups of a section, soonest due first.

    The ids are read per open status and merged: each is then one ordered range of the
    (status, due_at) index read no further than `limit`, where `status IN (...)` makes the
    database join and sort the whole section (22,000 rows in a long overdue list) first.
    """
    per_status = [
        open_rows.filter(condition, status=status).values_list("due_at", "pk")[:limit]
        for status in OPEN
    ]
    ids = [pk for _, pk in islice(heapq.merge(*per_status), limit)]
    rows = {row.pk: row for row in with_details(FollowUpTask.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids]


def next_for(user: User, *, limit: int = 5) -> list[FollowUpTask]:
    """The user's next open follow-ups (overdue first), for the dashboard widget."""
    queryset = FollowUpTask.objects.filter(
        assignee=user, status__in=OPEN, client__deleted_at__isnull=True
    )
    return list(with_details(queryset).order_by("due_at", "id")[:limit])
