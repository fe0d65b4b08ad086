"""Notifications to staff: reminders, overdue follow-ups, clients left without contact.

Each fact is notified once: a notification's `key` names the fact and is unique per user,
so a producer that runs twice (or two workers at once) inserts nothing the second time.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from forgecrm.clients.models import Tier
from forgecrm.core.audit import track


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    NOT_CONTACTED = "not_contacted", "Not contacted"
    IMPORTANT_DATE = "important_date", "Important date"
    OTHER = "other", "Other"


# The kinds a desktop alert is shown for.
ALERT_KINDS = (NotificationKind.REMINDER, NotificationKind.DUE, NotificationKind.OVERDUE)

ICONS = {
    NotificationKind.REMINDER: "bell",
    NotificationKind.DUE: "hourglass-split",
    NotificationKind.OVERDUE: "exclamation-octagon",
    NotificationKind.NOT_CONTACTED: "telephone-x",
    NotificationKind.IMPORTANT_DATE: "calendar-event",
    NotificationKind.OTHER: "info-circle",
}


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path inside the CRM.")
    key = models.CharField(max_length=200, help_text="The fact notified, once per user.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_user")
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_idx"),
            models.Index(
                fields=["user", "-id"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def icon(self) -> str:
        return ICONS.get(self.kind, "bell")

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


DEFAULT_CADENCE_DAYS = {Tier.PLATINUM: 14, Tier.GOLD: 21, Tier.SILVER: 30, Tier.BRONZE: 45}


class TierCadence(models.Model):
    """Active clients of `tier` should hear from us at least every `days` days."""

    tier = models.CharField(max_length=10, choices=Tier.choices, unique=True)
    days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["days", "tier"]
        permissions = [("edit_cadence", "Can change how often clients must be contacted")]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: every {self.days} days"


track(TierCadence)


class SilenceAlert(models.Model):
    """A client's silent stretch that was notified: the stretch is named by the time it
    began (the last contact, or the client's creation when never contacted); a new contact
    starts a new stretch."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    silent_since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "silent_since"], name="silence_alert_once_per_stretch"
            )
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id} silent since {self.silent_since:%Y-%m-%d}"


class DigestSent(models.Model):
    """The morning digest of `user` for their local `date`, claimed before it is sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"Digest of user {self.user_id} for {self.date}"


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    morning_digest = models.BooleanField(
        default=True,
        help_text="An email at 08:00 (your time zone) with your overdue and today's follow-ups.",
    )

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"
