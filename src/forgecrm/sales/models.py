"""Leads (people or companies not yet clients) and deals (opportunities with a value)."""

from django.conf import settings
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from forgecrm.core.audit import track
from forgecrm.core.models import Currency, TimeStampedModel, money_field


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"
    CONVERTED = "converted", "Converted to client"


class LeadSource(models.TextChoices):
    WEBSITE = "website", "Website form"
    REFERRAL = "referral", "Referral"
    SOCIAL = "social", "Social media"
    EMAIL = "email", "Email"
    EVENT = "event", "Event"
    MARKETPLACE = "marketplace", "Marketplace (Upwork, Fiverr ...)"
    OTHER = "other", "Other"


class Lead(TimeStampedModel):
    name = models.CharField("person", max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    source = models.CharField(max_length=12, choices=LeadSource.choices, default=LeadSource.OTHER)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    converted_client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
        ]

    def __str__(self) -> str:
        return self.company_name or self.name


class DealStage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal sent"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Deal(TimeStampedModel):
    title = models.CharField(max_length=200)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="deals"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    project = models.ForeignKey(
        "clients.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    stage = models.CharField(
        max_length=15, choices=DealStage.choices, default=DealStage.QUALIFICATION
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.BDT)
    amount = money_field(default=0)
    expected_close = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "stage"], name="deal_client_stage_idx"),
            models.Index(fields=["stage", "expected_close"], name="deal_stage_close_idx"),
        ]

    def __str__(self) -> str:
        return self.title


track(Lead)
track(Deal)
