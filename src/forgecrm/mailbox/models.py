"""What the IMAP reader has read: folders with their read position, runs, and every message.

`MailboxMessage` is the ledger: one row per message ever read, unique by folder,
UIDVALIDITY and UID, so reading a message again (a restart, a re-scan, a UIDVALIDITY
change) can never process it twice.
"""

from django.db import models
from django.utils import timezone


class FolderRole(models.TextChoices):
    INBOX = "inbox", "Inbox"
    SENT = "sent", "Sent"
    OTHER = "other", "Other"


class MailboxFolder(models.Model):
    name = models.CharField(max_length=255, unique=True, help_text="The IMAP folder name.")
    role = models.CharField(max_length=5, choices=FolderRole.choices, default=FolderRole.OTHER)
    uidvalidity = models.BigIntegerField(
        null=True, blank=True, help_text="The folder's UIDVALIDITY when it was last read."
    )
    last_uid = models.BigIntegerField(
        default=0, help_text="Every message up to this UID has been read and recorded."
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    MANUAL = "manual", "Read now"
    RESCAN = "rescan", "Full re-scan"


class MailboxRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=8, choices=RunTrigger.choices)
    messages_read = models.PositiveIntegerField(default=0)
    messages_failed = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(null=True, blank=True, help_text="Empty while the run is going.")
    error = models.TextField(blank=True, help_text="Why the run failed, when it did.")
    # "running" while the run goes, empty after: unique, so two runs can never go at once.
    lock = models.CharField(max_length=7, null=True, blank=True, unique=True, editable=False)
    heartbeat_at = models.DateTimeField(
        default=timezone.now, help_text="Last sign of life; a silent running run is taken over."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["ok", "-started_at"], name="mailbox_run_ok_idx")]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} run at {self.started_at:%Y-%m-%d %H:%M}"


class MessageKind(models.TextChoices):
    REPLY = "reply", "Reply"
    CONTACT = "contact", "From a contact"
    AUTO_REPLY = "auto_reply", "Auto-reply"
    BOUNCE = "bounce", "Bounce"
    READ_RECEIPT = "read_receipt", "Read receipt"
    SENT = "sent", "Sent from a mail app"
    UNMATCHED = "unmatched", "Unmatched"
    FAILED = "failed", "Could not be read"


class MessageStatus(models.TextChoices):
    DONE = "done", "Done"
    UNMATCHED = "unmatched", "Unmatched"
    ASSIGNED = "assigned", "Assigned to a client"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class MailboxMessage(models.Model):
    folder = models.ForeignKey(MailboxFolder, on_delete=models.CASCADE, related_name="messages")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    to_addresses = models.TextField(blank=True, help_text="Comma-separated.")
    subject = models.CharField(max_length=998, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The Date header.")
    received_at = models.DateTimeField(default=timezone.now)
    size = models.PositiveBigIntegerField(default=0, help_text="The raw message's size in bytes.")
    digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the bytes read: finds it again after a "
        "UIDVALIDITY change when it has no Message-ID.",
    )
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    status = models.CharField(max_length=9, choices=MessageStatus.choices)
    email = models.ForeignKey(
        "emails.Email",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailbox_messages",
        help_text="The email this message became, or the one it answers, bounced or read.",
    )
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailbox_messages",
    )
    error = models.TextField(blank=True, help_text="Why it failed, or what was found.")
    body_text = models.TextField(
        blank=True, help_text="Kept for unmatched messages, so a person can read and assign them."
    )
    body_html = models.TextField(blank=True, help_text="Sanitized; kept for unmatched messages.")
    unapplied_bounces = models.JSONField(
        default=list,
        blank=True,
        help_text="A bounce report's failed addresses that were not applied (it did not quote "
        "an email we sent to them): a person may block them by hand.",
    )
    run = models.ForeignKey(
        MailboxRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "uidvalidity", "uid"], name="mailbox_message_unique_uid"
            )
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="mailbox_msg_status_idx"),
            models.Index(fields=["kind", "-received_at"], name="mailbox_msg_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"UID {self.uid}"
