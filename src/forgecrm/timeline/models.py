"""The communication log: every interaction with a client is one row; a timeline is one query."""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.urls import reverse

from forgecrm.core.models import TimeStampedModel


class CommunicationType(models.TextChoices):
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    NOTE = "note", "Note"
    TASK = "task", "Task"


class CommunicationDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


# Internal entries, with no direction worth telling.
UNDIRECTED_KINDS = (CommunicationType.NOTE, CommunicationType.TASK)

# Bootstrap Icons names, for the timeline and the search results.
ICONS = {
    CommunicationType.EMAIL: "envelope",
    CommunicationType.CALL: "telephone",
    CommunicationType.MEETING: "people",
    CommunicationType.WHATSAPP: "whatsapp",
    CommunicationType.SMS: "chat-text",
    CommunicationType.NOTE: "sticky",
    CommunicationType.TASK: "check2-square",
}


class Communication(TimeStampedModel):
    kind = models.CharField("type", max_length=10, choices=CommunicationType.choices)
    direction = models.CharField(
        max_length=8,
        choices=CommunicationDirection.choices,
        default=CommunicationDirection.OUTBOUND,
    )
    subject = models.CharField(max_length=255, blank=True)
    content = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    location = models.CharField(max_length=255, blank=True)
    outcome = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    is_private = models.BooleanField(
        default=False, help_text="Private notes are shown only to their author and admins."
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="communications"
    )
    contact = models.ForeignKey(
        "clients.ContactPerson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communications",
    )
    participant_contacts = models.ManyToManyField(
        "clients.ContactPerson", blank=True, related_name="+"
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    email = models.OneToOneField(
        "emails.Email",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="communication",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-occurred_at", "-id"], name="comm_client_time_idx"),
            models.Index(fields=["client", "kind", "-occurred_at"], name="comm_client_kind_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="comm_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("timeline:entry", args=[self.pk])

    @property
    def icon(self) -> str:
        return ICONS.get(self.kind, "circle")

    @property
    def has_direction(self) -> bool:
        return self.kind not in UNDIRECTED_KINDS


auditlog.register(Communication, m2m_fields={"participant_contacts", "participant_users"})
