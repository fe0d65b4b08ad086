"""Reads for follow-ups: the filtered list and the dashboard's sections.

"Overdue" is never stored: an open follow-up is overdue when its due time has passed.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from forgecrm.emails.queries import user_zone
from forgecrm.followups.models import FollowUpStatus, FollowUpTask

OPEN = (FollowUpStatus.PENDING, FollowUpStatus.IN_PROGRESS)
UPCOMING_DAYS = 7


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

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


def dashboard(
    filters: FollowUpFilters,
    *,
    user: User | None,
    now: datetime | None = None,
    limit: int = 200,
) -> Dashboard:
    """Open follow-ups: overdue, due (later) today in the user's time zone, next 7 days.

    One query whatever the number of follow-ups.
    """
    now = now or timezone.now()
    _, tomorrow = day_bounds(now, user_zone(user))
    horizon = tomorrow + timedelta(days=UPCOMING_DAYS)
    rows = followup_list(
        FollowUpFilters(
            client=filters.client,
            task_type=filters.task_type,
            priority=filters.priority,
            assignee=filters.assignee,
        ),
        now=now,
    ).filter(Q(status__in=OPEN) & Q(due_at__lt=horizon))[: limit * 3]
    result = Dashboard()
    for task in rows:
        if task.due_at < now:
            section = result.overdue
        elif task.due_at < tomorrow:
            section = result.today
        else:
            section = result.upcoming
        if len(section) < limit:
            section.append(task)
    return result


def next_for(user: User, *, limit: int = 5) -> list[FollowUpTask]:
    """The user's next open follow-ups (overdue first), for the dashboard widget."""
    queryset = FollowUpTask.objects.filter(
        assignee=user, status__in=OPEN, client__deleted_at__isnull=True
    )
    return list(with_details(queryset).order_by("due_at", "id")[:limit])
