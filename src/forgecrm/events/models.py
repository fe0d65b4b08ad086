"""Important dates: holidays, birthdays, anniversaries, milestones and renewals."""

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse

from forgecrm.core.audit import track
from forgecrm.core.models import TimeStampedModel
from forgecrm.events.recurrence import monthly_rule, normalize_rule, yearly_rule

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from forgecrm.clients.models import Client

MAX_NOTIFY_DAYS_BEFORE = 90


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
    notify_days_before = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(MAX_NOTIFY_DAYS_BEFORE)],
        help_text="Days ahead the team is reminded (0: on the day) and a greeting prepared.",
    )
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

    @property
    def about_client(self) -> "Client | None":
        """The client it is about: its own, or its contact's."""
        return self.client or (self.contact.client if self.contact else None)

    @property
    def reminded_owner(self) -> "User | None":
        """Who its reminder goes to: its client's owner, while still with us (else the
        managers are)."""
        client = self.about_client
        owner = client.owner if client is not None and client.owner_id else None
        return owner if owner is not None and owner.is_active else None

    @property
    def greeting_days_ahead(self) -> int:
        """How far ahead its greeting is prepared: its notice, or every greeting's."""
        return max(self.notify_days_before, settings.GREETINGS_PREPARE_DAYS)

    def rule_text(self) -> str:
        """The RFC 5545 rule it repeats by ("" when it does not)."""
        if self.recurrence == Recurrence.YEARLY:
            return yearly_rule(self.date)
        if self.recurrence == Recurrence.MONTHLY:
            return monthly_rule(self.date)
        if self.recurrence == Recurrence.CUSTOM:
            return normalize_rule(self.rrule)
        return ""

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])


class LunarHoliday(models.TextChoices):
    """Built-in holidays that follow the moon: estimated until someone confirms the date."""

    EID_UL_FITR = "eid-ul-fitr", "Eid ul-Fitr"
    EID_UL_ADHA = "eid-ul-adha", "Eid ul-Adha"


class HolidayOverride(TimeStampedModel):
    """The sighted date of a lunar holiday; it replaces the library's estimate.

    Keyed by the Islamic (Hijri) year, which names each Eid exactly once, while a
    Gregorian year can hold two of them (Eid ul-Fitr fell on 3 Jan and 24 Dec 2033).
    """

    holiday = models.CharField(max_length=20, choices=LunarHoliday.choices)
    hijri_year = models.PositiveSmallIntegerField()
    date = models.DateField()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["holiday", "hijri_year"], name="holiday_override_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_holiday_display()} {self.hijri_year} AH: {self.date:%d %b %Y}"


class CalendarFeed(models.Model):
    """A user's private calendar subscription URL; only the SHA-256 of its token is kept.

    One per user: making a new one replaces the row, so the old URL stops working.
    """

    TOKEN_PREFIX = "fcal_"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class GreetingStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    SENDING = "sending", "Sending"
    EXCLUDED = "excluded", "Excluded"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Greeting(TimeStampedModel):
    """A greeting prepared for one person on one occasion, sent once it is approved.

    The unique (occurrence_key, contact) pair is what keeps a person from getting the same
    greeting twice, however often the greetings are prepared or the worker restarts.
    """

    occurrence_key = models.CharField(max_length=200)
    occasion = models.CharField(max_length=200, help_text="The occasion's title, as prepared.")
    occasion_date = models.DateField()
    contact = models.ForeignKey(
        "clients.ContactPerson", on_delete=models.CASCADE, related_name="greetings"
    )
    template = models.ForeignKey(
        "emails.EmailTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(
        max_length=255, blank=True, help_text="Used instead of the template's when set."
    )
    body_html = models.TextField(blank=True, help_text="Used instead of the template's when set.")
    status = models.CharField(
        max_length=10, choices=GreetingStatus.choices, default=GreetingStatus.PROPOSED
    )
    send_at = models.DateTimeField(help_text="09:00 on the day where the recipient is (UTC).")
    email = models.ForeignKey(
        "emails.Email", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["occasion_date", "occurrence_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence_key", "contact"], name="greeting_once_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["status", "send_at"], name="greeting_status_send_idx"),
            models.Index(fields=["occasion_date"], name="greeting_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occasion} → {self.contact}"

    @property
    def can_approve(self) -> bool:
        return self.status in (
            GreetingStatus.PROPOSED,
            GreetingStatus.EXCLUDED,
            GreetingStatus.FAILED,
        )

    @property
    def can_exclude(self) -> bool:
        return self.status in (
            GreetingStatus.PROPOSED,
            GreetingStatus.APPROVED,
            GreetingStatus.FAILED,
        )

    @property
    def badge(self) -> tuple[str, str]:
        """(label, Bootstrap colour) of where the greeting is, down to its email's fate."""
        if self.status == GreetingStatus.SENT and self.email_id is not None:
            email_status = self.email.status
            if email_status == "sent":
                return "Sent", "success"
            if email_status == "outbox":
                return "In outbox", "info"
            if email_status in ("failed", "bounced"):
                return "Failed", "danger"
            return "Sending", "primary"
        return {
            GreetingStatus.PROPOSED: ("Proposed", "secondary"),
            GreetingStatus.APPROVED: ("Approved", "primary"),
            GreetingStatus.SENDING: ("Sending", "primary"),
            GreetingStatus.EXCLUDED: ("Excluded", "light"),
            GreetingStatus.SENT: ("Sent", "success"),
            GreetingStatus.FAILED: ("Failed", "danger"),
        }[GreetingStatus(self.status)]


track(ImportantDate)
track(HolidayOverride)
