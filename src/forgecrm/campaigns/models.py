"""Email campaigns: one template sent to an audience chosen by filters."""

from django.conf import settings
from django.db import models

from forgecrm.core.audit import track
from forgecrm.core.models import TimeStampedModel


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class EmailCampaign(TimeStampedModel):
    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    audience_filter = models.JSONField(
        default=dict, blank=True, help_text="Client list filters, e.g. {'status': 'active'}."
    )
    template = models.ForeignKey(
        "emails.EmailTemplate", null=True, blank=True, on_delete=models.PROTECT
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_idx")]

    def __str__(self) -> str:
        return self.name


track(EmailCampaign)
