"""Follow-up tasks. "Overdue" is derived from the due time, never stored, so it is never stale."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from forgecrm.core.audit import track
from forgecrm.core.models import TimeStampedModel
from forgecrm.emails.models import EmailType


class FollowUpType(models.TextChoices):
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    PROPOSAL = "proposal", "Proposal"
    INVOICE = "invoice", "Invoice"
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class FollowUpSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    RULE = "rule", "Automatic rule"
    SEQUENCE = "sequence", "Sequence"
    TEMPLATE = "template", "Email template"


class FollowUpTask(TimeStampedModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="followups")
    contact = models.ForeignKey(
        "clients.ContactPerson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    title = models.CharField(max_length=200)
    task_type = models.CharField(max_length=10, choices=FollowUpType.choices)
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    due_at = models.DateTimeField()
    remind_before = models.DurationField(
        null=True, blank=True, help_text="How long before the due time to remind."
    )
    status = models.CharField(
        max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    notes = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    source = models.CharField(
        max_length=10, choices=FollowUpSource.choices, default=FollowUpSource.MANUAL
    )
    email = models.ForeignKey(
        "emails.Email",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        help_text="The email this follow-up was scheduled from.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="followup_status_due_idx"),
            models.Index(fields=["assignee", "status", "due_at"], name="followup_assignee_idx"),
            models.Index(fields=["client", "status", "due_at"], name="followup_client_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in {FollowUpStatus.PENDING, FollowUpStatus.IN_PROGRESS}

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def effective_status(self) -> str:
        """The plan's status including `overdue`, computed at read time."""
        return "overdue" if self.is_overdue else self.status


track(FollowUpTask)


class FollowUpRule(TimeStampedModel):
    """ "When an email of this type is sent, follow up after `days` days" (edited by admins)."""

    email_type = models.CharField(
        max_length=12, unique=True, choices=EmailType.choices, help_text="The email type."
    )
    days = models.PositiveSmallIntegerField(help_text="Days after sending the follow-up is due.")
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["email_type"]
        # Only admins hold it (accounts.roles.ADMIN_EXTRA): rules act for the whole team.
        permissions = [("edit_rules", "Can edit the automatic follow-up rules")]

    def __str__(self) -> str:
        return f"{self.email_type}: follow up after {self.days} days"


track(FollowUpRule)


# ---- Sequences -----------------------------------------------------------------------------


class Sequence(TimeStampedModel):
    """A named plan of steps, each so many days after a contact is enrolled."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive sequences take no new enrollments."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


track(Sequence)


class StepKind(models.TextChoices):
    EMAIL = "email", "Send an email"
    TASK = "task", "Create a follow-up task"


class SequenceStep(models.Model):
    """Day `days` after enrollment: an email from `template`, or a follow-up task."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    days = models.PositiveSmallIntegerField(help_text="Days after enrollment (0: at once).")
    kind = models.CharField(max_length=5, choices=StepKind.choices, default=StepKind.EMAIL)
    # Deleting a template leaves its steps without one: they fail, saying so; picking another
    # runs them again for the people still in the sequence (services.sequence_save).
    template = models.ForeignKey(
        "emails.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sequence_steps",
    )
    task_title = models.CharField(max_length=200, blank=True)
    task_type = models.CharField(
        max_length=10, choices=FollowUpType.choices, default=FollowUpType.CALL
    )
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who gets the task (empty: whoever enrolled the contact).",
    )

    class Meta:
        ordering = ["days", "id"]

    def __str__(self) -> str:
        return f"Day {self.days}: {self.label}"

    @property
    def label(self) -> str:
        if self.kind == StepKind.EMAIL:
            return f"email “{self.template}”" if self.template_id else "email (no template)"
        return f"task “{self.task_title}”"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class StopReason(models.TextChoices):
    MANUAL = "manual", "Stopped by hand"
    REPLIED = "replied", "The contact replied"
    UNSUBSCRIBED = "unsubscribed", "The contact unsubscribed"
    BOUNCED = "bounced", "The contact's address bounced"
    BLOCKED = "blocked", "The contact's address was blocked by hand"


class Enrollment(TimeStampedModel):
    """A contact going through a sequence.

    Step days count from `anchor_at`: the enrollment time, moved later by the time spent
    paused. `next_step`/`next_step_at` say what the worker does next (empty when done).
    """

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey(
        "clients.ContactPerson", on_delete=models.CASCADE, related_name="enrollments"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="enrollments"
    )
    status = models.CharField(
        max_length=9, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrolled_at = models.DateTimeField()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    anchor_at = models.DateTimeField(help_text="Step days count from here.")
    paused_at = models.DateTimeField(null=True, blank=True)
    next_step = models.ForeignKey(
        SequenceStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_step_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=12, choices=StopReason.choices, blank=True)
    stop_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "contact"],
                condition=models.Q(status__in=["active", "paused"]),
                name="enrollment_one_open_per_contact",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_step_at"], name="enrollment_due_idx"),
            models.Index(fields=["client", "status"], name="enrollment_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.sequence}"

    @property
    def is_open(self) -> bool:
        return self.status in {EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED}


track(Enrollment)


class StepOutcome(models.TextChoices):
    SENT = "sent", "Email queued"
    TASK = "task", "Task created"
    FAILED = "failed", "Could not run"


class StepRun(models.Model):
    """A step done for an enrollment: one row, ever, per (enrollment, step).

    Inserted in the same transaction as the email or task it makes, so a step is done
    exactly once however often the worker runs or wherever it dies.
    """

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="runs")
    step = models.ForeignKey(
        SequenceStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    step_label = models.CharField(max_length=300, help_text="The step as it was when it ran.")
    ran_at = models.DateTimeField()
    outcome = models.CharField(max_length=6, choices=StepOutcome.choices)
    detail = models.TextField(blank=True)
    email = models.ForeignKey(
        "emails.Email", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        FollowUpTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ran_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="steprun_once_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.step_label} ({self.get_outcome_display()})"
