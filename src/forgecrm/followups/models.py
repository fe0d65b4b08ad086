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

    def __str__(self) -> str:
        return f"{self.email_type}: follow up after {self.days} days"


track(FollowUpRule)
