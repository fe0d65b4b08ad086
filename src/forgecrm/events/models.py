"""Important dates: holidays, birthdays, anniversaries, milestones and renewals."""

from auditlog.registry import auditlog
from django.db import models

from forgecrm.core.models import TimeStampedModel


class EventType(models.TextChoices):
    HOLIDAY = "holiday", "Holiday"
    BIRTHDAY = "birthday", "Birthday"
    ANNIVERSARY = "anniversary", "Anniversary"
    BUSINESS_MILESTONE = "business-milestone", "Business milestone"
    CONTRACT_RENEWAL = "contract-renewal", "Contract renewal"
    CUSTOM = "custom", "Custom"


class Recurrence(models.TextChoices):
    NONE = "none", "Does not repeat"
    YEARLY = "yearly", "Every year"
    MONTHLY = "monthly", "Every month"
    CUSTOM = "custom", "Custom rule (RRULE)"


class ImportantDate(TimeStampedModel):
    name = models.CharField(max_length=200)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    date = models.DateField(help_text="The first (or only) occurrence.")
    recurrence = models.CharField(
        max_length=10, choices=Recurrence.choices, default=Recurrence.YEARLY
    )
    rrule = models.CharField(
        "recurrence rule",
        max_length=255,
        blank=True,
        help_text="RFC 5545 rule for custom recurrence, e.g. FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=14",
    )
    is_estimated = models.BooleanField(
        default=False, help_text="Lunar dates are estimates until the moon is sighted."
    )
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="important_dates",
    )
    contact = models.ForeignKey(
        "clients.ContactPerson",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="important_dates",
    )
    notify_days_before = models.PositiveSmallIntegerField(default=3)
    message_template = models.ForeignKey(
        "emails.EmailTemplate", null=True, blank=True, on_delete=models.SET_NULL
    )
    custom_message = models.TextField(blank=True)
    send_greeting = models.BooleanField(default=False)

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["event_type", "date"], name="event_type_date_idx"),
            models.Index(fields=["client", "date"], name="event_client_idx"),
        ]

    @property
    def is_recurring(self) -> bool:
        return self.recurrence != Recurrence.NONE

    def __str__(self) -> str:
        return self.name


auditlog.register(ImportantDate)
