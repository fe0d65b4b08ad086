"""Writes for follow-ups and sequences. Each runs in a transaction; edits by people are audited.

"Convert to task" puts the follow-up on the client's timeline as a Task entry (with its
notes) and completes the follow-up, so the work stays visible in the client's history.

Follow-ups created from sent emails (explicit `follow_up_days` or a FollowUpRule for the
email's type) are derived rows: they are bulk-inserted outside the audit log, like the
timeline entries of sent emails.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from forgecrm.clients.models import ContactPerson
from forgecrm.core.audit import acting_as
from forgecrm.core.bulk import insert_many
from forgecrm.emails import services as email_services
from forgecrm.emails.models import (
    Direction,
    Email,
    EmailTemplate,
    Suppression,
    SuppressionReason,
)
from forgecrm.followups.defaults import DEFAULT_SEQUENCES
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpRule,
    FollowUpSource,
    FollowUpStatus,
    FollowUpTask,
    FollowUpType,
    Sequence,
    SequenceStep,
    StepKind,
    StepOutcome,
    StepRun,
    StopReason,
)
from forgecrm.mailbox.models import MailboxMessage, MessageKind
from forgecrm.timeline.models import Communication, CommunicationType

Actor = User | None
logger = logging.getLogger(__name__)

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


def on_emails_sent(*, emails: list[Email], at: datetime | None = None) -> None:
    """Follow-ups for emails just sent (or put in the outbox at `at`).

    An email's own `follow_up_days` wins; otherwise an active FollowUpRule for its type
    applies. Emails without a client, or with an open follow-up already, get none.
    """
    with_client = [e for e in emails if e.client_id]
    if not with_client:
        return
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
            email_id=email.pk,
        )
        if priority:
            task.priority = priority
        rows.append(task)
    insert_many(rows)


@transaction.atomic
def on_reply(*, email: Email, at: datetime | None = None) -> int:
    """The thread of `email` got a reply: complete its open follow-ups to write again (those
    a rule or the composer's "remind me in N days" made when it was sent); returns how
    many. A call or meeting linked to it stays open: the reply does not do it.

    The contact's sequences stop too (a person takes over from here), as do those that sent
    `email`. Called by inbound mail handling once it sets `email.replied_at`.
    """
    at = at or email.replied_at or timezone.now()
    who = Q(runs__email=email)
    if email.contact_id:
        who |= Q(contact_id=email.contact_id)
    replied = Enrollment.objects.filter(who, status__in=OPEN_ENROLLMENT, enrolled_at__lte=at)
    Enrollment.objects.filter(pk__in=list(replied.values_list("pk", flat=True))).update(
        status=EnrollmentStatus.STOPPED,
        stop_reason=StopReason.REPLIED,
        stop_detail=f"Replied to “{email.subject}”."[:1000],
        stopped_at=at,
        next_step=None,
        next_step_at=None,
        updated_at=timezone.now(),
    )
    return FollowUpTask.objects.filter(
        email=email, task_type=FollowUpType.EMAIL, status__in=OPEN
    ).update(status=FollowUpStatus.COMPLETED, completed_at=at, updated_at=timezone.now())


# ---- Sequences -----------------------------------------------------------------------------
#
# Step days count from the enrollment (not from the previous step), so "day 1, 3, 7, 14"
# reads as the plan writes it. Pausing and resuming moves every step still to come later by
# the time spent paused, keeping the gaps between them.

OPEN_ENROLLMENT = (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)
MAX_ENROLL = 200
STEPS_PER_RUN = 500
# Also how _retry_steps_given_a_template finds these runs again.
TEMPLATE_DELETED = "Template deleted: pick another in the sequence and this step runs again."


class SequenceProblem(ValueError):
    """An action that does not apply (e.g. resuming an enrollment that is not paused)."""


@transaction.atomic
def sequence_save(
    *,
    sequence: Sequence,
    steps: list[SequenceStep],
    removed: Iterable[SequenceStep] = (),
    actor: Actor,
) -> Sequence:
    """Save a sequence (new or edited) with its steps; open enrollments follow the new plan."""
    with acting_as(actor):
        sequence.save()
        for step in removed:
            if step.pk:
                step.delete()
        for step in steps:
            step.sequence = sequence
            step.save()
    _retry_steps_given_a_template(steps)
    for enrollment in Enrollment.objects.filter(sequence=sequence, status__in=OPEN_ENROLLMENT):
        _plan_next(enrollment)
    return sequence


def _retry_steps_given_a_template(steps: Iterable[SequenceStep]) -> None:
    """An email step that failed because its template was deleted runs again, for the people
    still in the sequence, once it has a template again: its failed run is forgotten, so
    _plan_next points their enrollment back at it (due at once, as its day has passed).
    Finished or stopped enrollments keep their record as it is."""
    given = [s.pk for s in steps if s.kind == StepKind.EMAIL and s.template_id is not None]
    StepRun.objects.filter(
        step_id__in=given,
        outcome=StepOutcome.FAILED,
        detail=TEMPLATE_DELETED,
        enrollment__status__in=OPEN_ENROLLMENT,
    ).delete()


@dataclass
class Enrolled:
    enrollments: list[Enrollment] = field(default_factory=list)
    skipped: list[tuple[ContactPerson, str]] = field(default_factory=list)


@transaction.atomic
def enroll(
    *,
    sequence: Sequence,
    contacts: Iterable[ContactPerson],
    actor: Actor,
    at: datetime | None = None,
) -> Enrolled:
    """Start `contacts` on the sequence; those already in it (active or paused) are skipped."""
    contacts = list(contacts)
    if not sequence.is_active:
        raise SequenceProblem(f"“{sequence.name}” is inactive: activate it to enroll people.")
    if len(contacts) > MAX_ENROLL:
        raise SequenceProblem(f"Enroll at most {MAX_ENROLL} people at a time.")
    steps = list(sequence.steps.all())
    if not steps:
        raise SequenceProblem(f"“{sequence.name}” has no steps yet.")
    at = at or timezone.now()
    inside = set(
        Enrollment.objects.filter(
            sequence=sequence, status__in=OPEN_ENROLLMENT, contact__in=contacts
        ).values_list("contact_id", flat=True)
    )
    result = Enrolled()
    with acting_as(actor):
        for contact in contacts:
            if contact.pk in inside:
                result.skipped.append((contact, "already in this sequence"))
                continue
            inside.add(contact.pk)
            result.enrollments.append(
                Enrollment.objects.create(
                    sequence=sequence,
                    contact=contact,
                    client_id=contact.client_id,
                    enrolled_at=at,
                    enrolled_by=actor,
                    anchor_at=at,
                    next_step=steps[0],
                    next_step_at=at + timedelta(days=steps[0].days),
                )
            )
    return result


def _locked(enrollment: Enrollment) -> Enrollment:
    return Enrollment.objects.select_for_update().get(pk=enrollment.pk)


@transaction.atomic
def enrollment_pause(*, enrollment: Enrollment, actor: Actor) -> Enrollment:
    row = _locked(enrollment)
    if row.status != EnrollmentStatus.ACTIVE:
        raise SequenceProblem(
            f"Only an active enrollment can be paused (this one is {row.status})."
        )
    with acting_as(actor):
        row.status, row.paused_at = EnrollmentStatus.PAUSED, timezone.now()
        row.save(update_fields=["status", "paused_at", "updated_at"])
    return row


@transaction.atomic
def enrollment_resume(*, enrollment: Enrollment, actor: Actor) -> Enrollment:
    """Go on where it paused: the steps still to come move later by the time spent paused."""
    row = _locked(enrollment)
    if row.status != EnrollmentStatus.PAUSED or row.paused_at is None:
        raise SequenceProblem(
            f"Only a paused enrollment can be resumed (this one is {row.status})."
        )
    paused_for = timezone.now() - row.paused_at
    with acting_as(actor):
        row.paused_at = None
        # Its remaining steps may have been removed while it was paused.
        row.status = EnrollmentStatus.ACTIVE if row.next_step_id else EnrollmentStatus.COMPLETED
        row.anchor_at += paused_for
        if row.next_step_at is not None:
            row.next_step_at += paused_for
        row.save(update_fields=["status", "paused_at", "anchor_at", "next_step_at", "updated_at"])
    return row


@transaction.atomic
def enrollment_stop(*, enrollment: Enrollment, actor: Actor) -> Enrollment:
    row = _locked(enrollment)
    if not row.is_open:
        raise SequenceProblem(f"This enrollment is {row.get_status_display().lower()} already.")
    with acting_as(actor):
        _stop(row, StopReason.MANUAL, "", at=timezone.now())
    return row


def stop_for_suppressed_address(*, address: str, at: datetime) -> int:
    """An address stopped receiving our mail: the open enrollments of the contacts who have
    it stop now, with the reason, rather than showing "active" until their next step."""
    open_with_address = Enrollment.objects.filter(
        status__in=OPEN_ENROLLMENT, contact__email_addresses__email__iexact=address
    ).distinct()
    stopped = 0
    for enrollment in open_with_address.select_related("contact"):
        reason = _reason_to_stop(enrollment)
        if reason is not None:
            _stop(enrollment, *reason, at=at)
            stopped += 1
    return stopped


def _stop(enrollment: Enrollment, reason: str, detail: str, *, at: datetime) -> None:
    enrollment.status = EnrollmentStatus.STOPPED
    enrollment.stop_reason, enrollment.stop_detail = reason, detail
    enrollment.stopped_at = at
    enrollment.next_step, enrollment.next_step_at = None, None
    enrollment.save(
        update_fields=[
            "status",
            "stop_reason",
            "stop_detail",
            "stopped_at",
            "next_step",
            "next_step_at",
            "updated_at",
        ]
    )


def _plan_next(enrollment: Enrollment) -> None:
    """Point the enrollment at its first step not done yet; completed when there is none."""
    done = set(enrollment.runs.values_list("step_id", flat=True))
    step = next((s for s in enrollment.sequence.steps.all() if s.pk not in done), None)
    enrollment.next_step = step
    enrollment.next_step_at = enrollment.anchor_at + timedelta(days=step.days) if step else None
    if step is None and enrollment.status == EnrollmentStatus.ACTIVE:
        enrollment.status = EnrollmentStatus.COMPLETED
    enrollment.save(update_fields=["next_step", "next_step_at", "status", "updated_at"])


def run_due_steps(*, now: datetime | None = None) -> int:
    """Do the step that is due of each active enrollment (one per enrollment per run);
    returns how many ran. Safe to run twice at once: see run_step."""
    now = now or timezone.now()
    # People (or clients) in the trash wait: restored, they go on where they were.
    due = Enrollment.objects.filter(
        status=EnrollmentStatus.ACTIVE,
        next_step_at__lte=now,
        contact__deleted_at__isnull=True,
        client__deleted_at__isnull=True,
    ).order_by("next_step_at", "id")
    ran = 0
    for pk, step_id in due.values_list("pk", "next_step_id")[:STEPS_PER_RUN]:
        try:
            run = run_step(enrollment_id=pk, now=now)
        except Exception as exc:
            logger.exception("Sequence step %s of enrollment %s failed", step_id, pk)
            run = _record_failure(enrollment_id=pk, step_id=step_id, error=exc, now=now)
        if run is not None:
            ran += 1
    return ran


def _record_failure(
    *, enrollment_id: int, step_id: int, error: Exception, now: datetime
) -> StepRun | None:
    """A step that raised something unexpected is recorded as failed, with the error, and
    the enrollment goes on to its next step, so it does not block the ones behind it every
    minute. Its own transaction (the step's rolled back) and the same claim as run_step, so
    the step is still done (or failed) exactly once."""
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.select_related("sequence").get(pk=enrollment_id)
            step = SequenceStep.objects.filter(pk=step_id).first()
            if step is None or not _claim(enrollment_id=enrollment_id, step_id=step_id, now=now):
                return None
            run = StepRun.objects.create(
                enrollment=enrollment,
                step=step,
                step_label=str(step)[:300],
                ran_at=now,
                outcome=StepOutcome.FAILED,
                detail=f"Unexpected error, step skipped: {type(error).__name__}: {error}"[:1000],
            )
            _plan_next(enrollment)
            return run
    except Exception:
        logger.exception("Could not record the failure of enrollment %s", enrollment_id)
        return None


def _claim(*, enrollment_id: int, step_id: int, now: datetime) -> bool:
    """Take the enrollment's next step: True for exactly one caller.

    A conditional UPDATE that must change one row: a second worker (or a retried task)
    finds the step moved on and changes nothing. PostgreSQL makes it wait for the first
    one's transaction and then re-checks the condition.
    """
    return (
        Enrollment.objects.filter(
            pk=enrollment_id,
            status=EnrollmentStatus.ACTIVE,
            next_step_id=step_id,
            next_step_at__lte=now,
        ).update(next_step=None, next_step_at=None, updated_at=now)
        == 1
    )


def run_step(*, enrollment_id: int, now: datetime) -> StepRun | None:
    """Do the enrollment's next step if it is due, exactly once.

    The claim, the StepRun row (unique per enrollment and step) and the email or task the
    step makes are one transaction: a worker dying half-way leaves nothing behind, and the
    step is done by the next run. Before the step, a reply from the contact since enrolling
    or a bounced or unsubscribed address stops the enrollment instead.
    """
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_related(
                "sequence", "contact__client", "next_step__template", "enrolled_by"
            )
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None or enrollment.next_step is None:
            return None
        step = enrollment.next_step
        if not _claim(enrollment_id=enrollment.pk, step_id=step.pk, now=now):
            return None
        stop = _reason_to_stop(enrollment)
        if stop is not None:
            _stop(enrollment, *stop, at=now)
            return None
        run = _do_step(enrollment, step, now=now)
        _plan_next(enrollment)
        return run


def _reason_to_stop(enrollment: Enrollment) -> tuple[str, str] | None:
    contact = enrollment.contact
    since = enrollment.enrolled_at
    auto_replies = MailboxMessage.objects.filter(
        kind=MessageKind.AUTO_REPLY, email__isnull=False
    ).values("email_id")
    reply = (
        Email.objects.filter(direction=Direction.INBOUND, contact_id=contact.pk)
        .filter(Q(sent_at__gte=since) | Q(sent_at__isnull=True, created_at__gte=since))
        .exclude(pk__in=auto_replies)
        .order_by("created_at")
        .first()
    )
    if reply is not None:
        return StopReason.REPLIED, f"Wrote “{reply.subject}”."[:1000]
    addresses = [row.email for row in contact.email_addresses.all()]
    suppressed = email_services.suppressed_addresses(addresses)
    if not suppressed:
        return None
    rows = list(
        Suppression.objects.filter(address__in=suppressed, cleared_at__isnull=True).order_by("id")
    )
    reasons = {row.reason for row in rows}
    if reasons & {SuppressionReason.UNSUBSCRIBED, SuppressionReason.COMPLAINED}:
        reason = StopReason.UNSUBSCRIBED
    elif SuppressionReason.MANUAL in reasons:
        reason = StopReason.BLOCKED
    else:
        reason = StopReason.BOUNCED
    detail = "; ".join(f"{row.address} {row.why()}" for row in rows) or ", ".join(suppressed)
    return reason, detail


def _do_step(enrollment: Enrollment, step: SequenceStep, *, now: datetime) -> StepRun:
    run = StepRun(enrollment=enrollment, step=step, step_label=str(step)[:300], ran_at=now)
    if step.kind == StepKind.EMAIL and step.template is None:
        run.outcome = StepOutcome.FAILED
        run.detail = TEMPLATE_DELETED
    elif step.kind == StepKind.EMAIL:
        try:
            with transaction.atomic():
                run.email = email_services.email_send(
                    draft=email_services.Draft(
                        to=[enrollment.contact.pk],
                        template=step.template,
                        contact=enrollment.contact,
                        client=enrollment.contact.client,
                    ),
                    actor=enrollment.enrolled_by,
                )
            run.outcome = StepOutcome.SENT
        except ValidationError as exc:
            run.outcome = StepOutcome.FAILED
            run.detail = " ".join(exc.messages)
    else:
        run.task = FollowUpTask.objects.create(
            client_id=enrollment.client_id,
            contact=enrollment.contact,
            title=step.task_title or f"{enrollment.sequence.name}: day {step.days}",
            task_type=step.task_type,
            priority=step.priority,
            due_at=now,
            assignee_id=step.assignee_id or enrollment.enrolled_by_id,
            source=FollowUpSource.SEQUENCE,
            notes=f"Step of the sequence “{enrollment.sequence.name}”.",
        )
        run.outcome = StepOutcome.TASK
    run.save()
    return run


@transaction.atomic
def ensure_default_sequences() -> int:
    """Create the ready-made sequences that are missing (by name); returns how many."""
    email_services.ensure_default_templates()
    existing = set(Sequence.objects.values_list("name", flat=True))
    missing = [d for d in DEFAULT_SEQUENCES if d["name"] not in existing]
    templates = {t.name: t for t in EmailTemplate.objects.all()}
    for definition in missing:
        sequence = Sequence.objects.create(
            name=definition["name"], description=definition["description"]
        )
        for step in definition["steps"]:
            fields = dict(step)
            template_name = fields.pop("template", None)
            SequenceStep.objects.create(
                sequence=sequence,
                template=templates[template_name] if template_name else None,
                **fields,
            )
    return len(missing)


# ---- Rules ---------------------------------------------------------------------------------


@transaction.atomic
def rule_save(*, rule: FollowUpRule, fields: dict[str, Any], actor: Actor) -> FollowUpRule:
    """Create or change a rule (from forms.RuleForm's cleaned data); audited."""
    with acting_as(actor):
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.save()
    return rule
