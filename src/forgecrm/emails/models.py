"""Emails (every one a row before it is sent), their recipients, attachments and templates."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format

from forgecrm.core.audit import track
from forgecrm.core.models import TimeStampedModel


class EmailType(models.TextChoices):
    OUTREACH = "outreach", "Outreach"
    PROPOSAL = "proposal", "Proposal"
    QUOTE = "quote", "Quote"
    INVOICE = "invoice", "Invoice"
    FOLLOW_UP = "follow-up", "Follow-up"
    GREETING = "greeting", "Greeting"
    SUPPORT = "support", "Support"
    MARKETING = "marketing", "Marketing"
    OTHER = "other", "Other"


class TemplateCategory(models.TextChoices):
    PROPOSALS = "proposals", "Proposals"
    INVOICES = "invoices", "Invoices"
    FOLLOW_UPS = "follow-ups", "Follow-ups"
    GREETINGS = "greetings", "Greetings"
    ONBOARDING = "onboarding", "Onboarding"
    MARKETING = "marketing", "Marketing"
    GENERAL = "general", "General"


class EmailTemplate(TimeStampedModel):
    name = models.CharField(max_length=150, unique=True)
    subject = models.CharField(max_length=255)
    body_html = models.TextField(help_text="Variables such as {{client_name}} are filled in.")
    template_type = models.CharField(
        max_length=12, choices=EmailType.choices, default=EmailType.OTHER
    )
    category = models.CharField(
        max_length=12, choices=TemplateCategory.choices, default=TemplateCategory.GENERAL
    )
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "name"], name="template_category_idx")]

    def __str__(self) -> str:
        return self.name


class EmailStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    OUTBOX = "outbox", "In outbox (no mailbox configured)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    RECEIVED = "received", "Received"


# A queued email no task has sent by then is picked up by the every-minute sweep.
UNSENT_RECHECK = timedelta(minutes=5)


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Email(TimeStampedModel):
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.OUTBOUND
    )
    message_id = models.CharField(max_length=255, unique=True, help_text="RFC 5322 Message-ID")
    in_reply_to = models.CharField(max_length=255, blank=True, db_index=True)
    references = models.TextField(blank=True)
    from_email = models.CharField(max_length=255)
    subject = models.CharField(max_length=998, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    email_type = models.CharField(max_length=12, choices=EmailType.choices, default=EmailType.OTHER)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.DRAFT)
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    campaign = models.ForeignKey(
        "campaigns.EmailCampaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    contact = models.ForeignKey(
        "clients.ContactPerson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    project = models.ForeignKey(
        "clients.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authored_emails",
    )

    # Sending
    scheduled_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the worker (re)tries a queued email that no task has sent yet: "
        "after a temporary failure, when the rate limit frees up, or as a safety net.",
    )
    read_receipt_requested = models.BooleanField(default=False)
    follow_up_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Create a follow-up task this many days after sending."
    )

    # Tracking
    tracking_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    click_count = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True, help_text="From a read receipt.")
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_permanent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="email_client_idx"),
            models.Index(fields=["status", "scheduled_at"], name="email_status_sched_idx"),
            models.Index(fields=["email_type", "-created_at"], name="email_type_idx"),
            models.Index(fields=["-sent_at"], name="email_sent_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="email_status_next_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def response_time(self) -> timedelta | None:
        """How long the first reply took (from sending to the reply), once there is one."""
        if self.replied_at is None or self.sent_at is None:
            return None
        return self.replied_at - self.sent_at


class RecipientKind(models.TextChoices):
    TO = "to", "To"
    CC = "cc", "Cc"
    BCC = "bcc", "Bcc"


class EmailRecipient(models.Model):
    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="recipients")
    kind = models.CharField(max_length=3, choices=RecipientKind.choices, default=RecipientKind.TO)
    address = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey(
        "clients.ContactPerson", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["address"], name="recipient_address_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.address}"


class EmailAttachment(models.Model):
    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return self.filename


class EmailLink(models.Model):
    """A link of an email's HTML, rewritten to pass through the click tracker.

    A click redirects only to the `url` of a row found by both the email's and the link's
    token, so the tracker can never be used as an open redirect.
    """

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2048)
    token = models.CharField(max_length=32, unique=True)
    click_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["email", "url"], name="email_link_unique_url")
        ]

    def __str__(self) -> str:
        return self.url


class EventKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    DEFERRED = "deferred", "Deferred (will retry)"
    OUTBOX = "outbox", "Kept in the outbox"
    SENT = "sent", "Accepted by the mail server"
    OPENED = "opened", "Opened"
    READ = "read", "Read (receipt)"
    CLICKED = "clicked", "Clicked"
    REPLIED = "replied", "Replied"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class EmailEvent(models.Model):
    """Something that happened to an email, when it happened.

    Opens and clicks from mail-privacy proxies, prefetchers and link scanners are kept
    with `is_proxy` set; they do not count as a person reading the email.
    """

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    occurred_at = models.DateTimeField()
    is_proxy = models.BooleanField(default=False)
    link = models.ForeignKey(
        EmailLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    user_agent = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["email", "occurred_at"], name="email_event_email_idx"),
            models.Index(fields=["kind", "occurred_at"], name="email_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", "Bounced"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    COMPLAINED = "complained", "Marked as spam"
    MANUAL = "manual", "Blocked by hand"


class Suppression(TimeStampedModel):
    """An address the CRM must not send to, until a person clears it (the usual ESP design).

    A row is active while `cleared_at` is empty; clearing keeps it as history. A soft bounce
    row counts bounces (`soft_bounce_count`) and only suppresses once `suppressed_at` is set,
    at the SOFT_BOUNCE_LIMIT-th soft bounce; every other row suppresses from the start.
    Addresses are stored lowercased and unique, case-blind, among active rows.
    """

    address = models.EmailField(max_length=254)
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    bounce_permanent = models.BooleanField(default=False)
    soft_bounce_count = models.PositiveSmallIntegerField(default=0)
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    suppressed_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while soft bounces are only being counted."
    )
    detail = models.TextField(blank=True, help_text="The mail server's answer, or a note.")
    email = models.ForeignKey(
        Email,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The email whose bounce or unsubscribe caused this.",
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-last_event_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("address"),
                condition=models.Q(cleared_at__isnull=True),
                name="suppression_active_address_unique",
            )
        ]
        indexes = [
            models.Index(fields=["address"], name="suppression_address_idx"),
            models.Index(fields=["reason", "-last_event_at"], name="suppression_reason_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None and self.suppressed_at is not None

    def why(self) -> str:
        """Why sending is refused, e.g. "bounced permanently on 12 Nov 2026: 550 5.1.1 …"."""
        when = date_format(timezone.localtime(self.last_event_at), "j M Y")
        if self.reason == SuppressionReason.BOUNCED:
            how = (
                "bounced permanently"
                if self.bounce_permanent
                else f"bounced {self.soft_bounce_count} times, last"
            )
        else:
            how = {
                SuppressionReason.UNSUBSCRIBED: "unsubscribed",
                SuppressionReason.COMPLAINED: "marked our email as spam",
                SuppressionReason.MANUAL: "was blocked by hand",
            }[SuppressionReason(self.reason)]
        detail = " ".join(self.detail.split())[:200]
        return f"{how} on {when}" + (f": {detail}" if detail else "")


track(EmailTemplate)
track(Suppression)
