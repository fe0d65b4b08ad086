"""Writes for follow-ups. Each runs in a transaction; edits by people are audited.

"Convert to task" puts the follow-up on the client's timeline as a Task entry (with its
notes) and completes the follow-up, so the work stays visible in the client's history.

Follow-ups created from sent emails (explicit `follow_up_days` or a FollowUpRule for the
email's type) are derived rows: they are bulk-inserted outside the audit log, like the
timeline entries of sent emails.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from forgecrm.core.audit import acting_as
from forgecrm.emails.models import Email
from forgecrm.followups.models import (
    FollowUpRule,
    FollowUpSource,
    FollowUpStatus,
    FollowUpTask,
    FollowUpType,
)
from forgecrm.timeline.models import Communication, CommunicationType

Actor = User | None

OPEN = (FollowUpStatus.PENDING, FollowUpStatus.IN_PROGRESS)
MAX_BULK = 200


class NotOpen(ValueError):
    """The follow-up is completed or cancelled already."""


def _check_open(task: FollowUpTask) -> None:
    if not task.is_open:
        raise NotOpen(f"“{task.title}” is {task.get_status_display().lower()} already.")


@transaction.atomic
def followup_create(*, fields: dict[str, Any], actor: Actor) -> FollowUpTask:
    """A manual follow-up from fields cleaned by forms.FollowUpForm."""
    with acting_as(actor):
        return FollowUpTask.objects.create(source=FollowUpSource.MANUAL, **fields)


@transaction.atomic
def followup_update(*, task: FollowUpTask, fields: dict[str, Any], actor: Actor) -> None:
    with acting_as(actor):
        for name, value in fields.items():
            setattr(task, name, value)
        task.save()


@transaction.atomic
def followup_complete(
    *, task: FollowUpTask, actor: Actor, at: datetime | None = None
) -> FollowUpTask:
    _check_open(task)
    with acting_as(actor):
        task.status = FollowUpStatus.COMPLETED
        task.completed_at = at or timezone.now()
        task.save(update_fields=["status", "completed_at", "updated_at"])
    return task


@transaction.atomic
def followup_reschedule(*, task: FollowUpTask, due_at: datetime, actor: Actor) -> FollowUpTask:
    _check_open(task)
    with acting_as(actor):
        task.due_at = due_at
        task.save(update_fields=["due_at", "updated_at"])
    return task


@transaction.atomic
def followup_skip(*, task: FollowUpTask, reason: str, actor: Actor) -> FollowUpTask:
    """Cancel the follow-up, keeping why."""
    _check_open(task)
    if not reason.strip():
        raise ValueError("Give a reason for skipping.")
    with acting_as(actor):
        task.status = FollowUpStatus.CANCELLED
        task.skip_reason = reason.strip()
        task.save(update_fields=["status", "skip_reason", "updated_at"])
    return task


@transaction.atomic
def followup_convert(*, task: FollowUpTask, actor: Actor) -> Communication:
    """Log the follow-up as a Task on the client's timeline and complete it."""
    _check_open(task)
    now = timezone.now()
    with acting_as(actor):
        entry = Communication.objects.create(
            client_id=task.client_id,
            contact_id=task.contact_id,
            kind=CommunicationType.TASK,
            subject=task.title[:255],
            content=task.notes,
            occurred_at=now,
            created_by=actor,
            email_id=task.email_id,
        )
    followup_complete(task=task, actor=actor, at=now)
    return entry


def _open_rows(tasks: Iterable[FollowUpTask]) -> list[FollowUpTask]:
    rows = [task for task in tasks if task.is_open]
    if len(rows) > MAX_BULK:
        raise ValueError(f"Pick at most {MAX_BULK} follow-ups at a time.")
    return rows


@transaction.atomic
def followups_complete_bulk(*, tasks: Iterable[FollowUpTask], actor: Actor) -> int:
    """Complete the open ones of `tasks` (one audit entry each); returns how many."""
    rows = _open_rows(tasks)
    now = timezone.now()
    for task in rows:
        followup_complete(task=task, actor=actor, at=now)
    return len(rows)


@transaction.atomic
def followups_reschedule_bulk(
    *, tasks: Iterable[FollowUpTask], due_at: datetime, actor: Actor
) -> int:
    rows = _open_rows(tasks)
    for task in rows:
        followup_reschedule(task=task, due_at=due_at, actor=actor)
    return len(rows)


# ---- Automatic follow-ups ------------------------------------------------------------------


def on_emails_sent(*, emails: list[Email], at: datetime | None = None) -> list[FollowUpTask]:
    """Follow-ups for emails just sent (or put in the outbox at `at`).

    An email's own `follow_up_days` wins; otherwise an active FollowUpRule for its type
    applies. Emails without a client, or with an open follow-up already, get none.
    """
    with_client = [e for e in emails if e.client_id]
    if not with_client:
        return []
    rules = {
        rule.email_type: rule
        for rule in FollowUpRule.objects.filter(
            is_active=True, email_type__in={e.email_type for e in with_client}
        )
    }
    taken = set(
        FollowUpTask.objects.filter(
            email__in=[e.pk for e in with_client], status__in=OPEN
        ).values_list("email_id", flat=True)
    )
    rows = []
    for email in with_client:
        client_id = email.client_id
        if client_id is None or email.pk in taken:
            continue
        sent = at or email.sent_at or timezone.now()
        rule = rules.get(email.email_type)
        if email.follow_up_days:
            days = email.follow_up_days
            source = FollowUpSource.TEMPLATE if email.template_id else FollowUpSource.MANUAL
            priority = None
        elif rule is not None:
            days, source, priority = rule.days, FollowUpSource.RULE, rule.priority
        else:
            continue
        task = FollowUpTask(
            client_id=client_id,
            contact_id=email.contact_id,
            title=f"Follow up: {email.subject}"[:200],
            task_type=FollowUpType.EMAIL,
            due_at=sent + timedelta(days=days),
            assignee_id=email.created_by_id,
            source=source,
            email=email,
        )
        if priority:
            task.priority = priority
        rows.append(task)
    return FollowUpTask.objects.bulk_create(rows)


@transaction.atomic
def on_reply(*, email: Email, at: datetime | None = None) -> int:
    """The thread of `email` got a reply: complete its open rule follow-ups; returns how many.

    Called by inbound mail handling once it sets `email.replied_at`.
    """
    return FollowUpTask.objects.filter(
        email=email, source=FollowUpSource.RULE, status__in=OPEN
    ).update(
        status=FollowUpStatus.COMPLETED,
        completed_at=at or email.replied_at or timezone.now(),
        updated_at=timezone.now(),
    )
