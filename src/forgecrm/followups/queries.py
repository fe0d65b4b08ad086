"""Reads for follow-ups: the filtered list, the dashboard's sections, sequences and rules.

"Overdue" is never stored: an open follow-up is overdue when its due time has passed.
"""

import heapq
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import islice
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from forgecrm.clients.models import Client
from forgecrm.emails.models import EmailType
from forgecrm.emails.queries import user_zone
from forgecrm.followups.defaults import DEFAULT_SEQUENCES
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpRule,
    FollowUpStatus,
    FollowUpTask,
    Sequence,
    SequenceStep,
    StepRun,
)

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
    responsible: int | None = None  # a user: see responsible_for ("Only mine")
    status: str = ""  # a stored status, "open" or "overdue"


def responsible_for(user: Any) -> Q:
    """The follow-ups that are a user's to do, and they are reminded of: those assigned to
    them, and those with no assignee of the clients they own. `user` may be an OuterRef."""
    return Q(assignee=user) | Q(assignee__isnull=True, client__owner=user)


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
    if filters.responsible:
        queryset = queryset.filter(responsible_for(filters.responsible))
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
            responsible=filters.responsible,
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
        responsible_for(user), status__in=OPEN, client__deleted_at__isnull=True
    )
    return list(with_details(queryset).order_by("due_at", "id")[:limit])


def next_for_client(client: Client, *, limit: int = 5) -> tuple[list[FollowUpTask], bool]:
    """The client's next open follow-ups, whoever they are for (overdue first), and whether
    there are more: one query."""
    queryset = FollowUpTask.objects.filter(client=client, status__in=OPEN)
    rows = list(with_details(queryset).order_by("due_at", "id")[: limit + 1])
    return rows[:limit], len(rows) > limit


# ---- Sequences -----------------------------------------------------------------------------

OPEN_ENROLLMENT = (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("sequence").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def sequence_list() -> QuerySet[Sequence]:
    """Sequences by name, each with `step_count`, `open_count` and `enrolled_count`."""
    mine = {"sequence": OuterRef("pk")}
    return Sequence.objects.annotate(
        step_count=_count(SequenceStep.objects.filter(**mine)),
        open_count=_count(Enrollment.objects.filter(**mine, status__in=OPEN_ENROLLMENT)),
        enrolled_count=_count(Enrollment.objects.filter(**mine)),
    ).order_by("name")


def missing_default_sequences() -> list[str]:
    """Names of the ready-made sequences not created yet (or renamed)."""
    names = [d["name"] for d in DEFAULT_SEQUENCES]
    existing = set(Sequence.objects.filter(name__in=names).values_list("name", flat=True))
    return [name for name in names if name not in existing]


def sequence_steps(sequence: Sequence) -> list[SequenceStep]:
    return list(sequence.steps.select_related("template", "assignee"))


def enrollments_of(sequence: Sequence, *, status: str = "") -> QuerySet[Enrollment]:
    """The sequence's enrollments (newest first) with what the detail page shows of each."""
    queryset = Enrollment.objects.filter(sequence=sequence)
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_ENROLLMENT)
    elif status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("contact", "client").order_by("-enrolled_at", "-id")


@dataclass(frozen=True)
class StepState:
    """What became of one step for one enrollment: its run, or when it is due, or nothing."""

    step: SequenceStep
    run: StepRun | None = None
    due_at: datetime | None = None
    is_next: bool = False


@dataclass
class EnrollmentRow:
    enrollment: Enrollment
    states: list[StepState]


def enrollment_rows(
    enrollments: list[Enrollment], steps: list[SequenceStep]
) -> list[EnrollmentRow]:
    """Each enrollment with the state of every step (one query for all the runs)."""
    runs: dict[int, dict[int | None, StepRun]] = {}
    for done_run in StepRun.objects.filter(enrollment__in=[e.pk for e in enrollments]):
        runs.setdefault(done_run.enrollment_id, {})[done_run.step_id] = done_run
    rows = []
    for enrollment in enrollments:
        done = runs.get(enrollment.pk, {})
        states = []
        for step in steps:
            run = done.get(step.pk)
            due = None
            if run is None and enrollment.is_open:
                due = enrollment.anchor_at + timedelta(days=step.days)
            states.append(StepState(step, run, due, is_next=step.pk == enrollment.next_step_id))
        rows.append(EnrollmentRow(enrollment, states))
    return rows


def client_enrollments(client: Client) -> list[Enrollment]:
    """A client's enrollments, open ones first, for its page (one query)."""
    rows = (
        Enrollment.objects.filter(client=client, contact__deleted_at__isnull=True)
        .select_related("sequence", "contact", "next_step__template")
        .order_by("-enrolled_at", "-id")[:50]
    )
    return sorted(rows, key=lambda e: not e.is_open)


def rule_types_left() -> list[str]:
    """Email types without a rule yet (a new rule can be added for them)."""
    taken = set(FollowUpRule.objects.values_list("email_type", flat=True))
    return [value for value in EmailType.values if value not in taken]
