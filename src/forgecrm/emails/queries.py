"""Reads for emails and templates: lists, details, template values and analytics."""

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    Lower,
    TruncDay,
    TruncMonth,
    TruncWeek,
)

from forgecrm.clients.models import Client, ContactEmail, ContactPerson, Project, ProjectStatus
from forgecrm.emails.models import (
    Direction,
    Email,
    EmailEvent,
    EmailRecipient,
    EmailStatus,
    EmailTemplate,
    EmailType,
    Suppression,
)
from forgecrm.mailbox.models import MailboxMessage, MessageKind
from forgecrm.sales.models import Deal, DealStage

# ---- Suppressed addresses -----------------------------------------------------------------

# Fewer bound parameters per query than any database allows.
ADDRESS_CHUNK = 500


def active_suppressions(addresses: Iterable[str]) -> dict[str, Suppression]:
    """The suppressions that stop sending to these addresses, by lowercased address."""
    wanted = sorted({a.strip().lower() for a in addresses if a and a.strip()})
    found: dict[str, Suppression] = {}
    for start in range(0, len(wanted), ADDRESS_CHUNK):
        rows = Suppression.objects.filter(
            address__in=wanted[start : start + ADDRESS_CHUNK],
            cleared_at__isnull=True,
            suppressed_at__isnull=False,
        )
        found.update((row.address, row) for row in rows)
    return found


class SuppressionState:
    ACTIVE = "active"
    COUNTING = "counting"
    CLEARED = "cleared"
    CHOICES = [
        (ACTIVE, "Blocking sends"),
        (COUNTING, "Soft bounces, not blocking yet"),
        (CLEARED, "Cleared"),
    ]


@dataclass(frozen=True)
class SuppressionFilters:
    q: str = ""
    reason: str = ""
    state: str = SuppressionState.ACTIVE  # "" for all


def mark_suppressed(rows: Iterable[Any]) -> None:
    """Set `suppression` (or None) on address rows (a client's or a contact's `email`
    addresses), for pages that show them, in one query."""
    rows = list(rows)
    found = active_suppressions(row.email for row in rows)
    for row in rows:
        row.suppression = found.get(row.email.lower())


def suppression_list(filters: SuppressionFilters) -> QuerySet[Suppression]:
    """Suppressions, latest event first, with who cleared them and whose address it is."""
    owner = ContactEmail.objects.annotate(address=Lower("email")).filter(
        address=OuterRef("address"),
        contact__deleted_at__isnull=True,
        contact__client__deleted_at__isnull=True,
    )
    queryset = Suppression.objects.select_related("cleared_by").annotate(
        contact_name=Subquery(owner.values("contact__first_name")[:1]),
        contact_last_name=Subquery(owner.values("contact__last_name")[:1]),
        client_id=Subquery(owner.values("contact__client_id")[:1]),
    )
    if filters.state == SuppressionState.ACTIVE:
        queryset = queryset.filter(cleared_at__isnull=True, suppressed_at__isnull=False)
    elif filters.state == SuppressionState.COUNTING:
        queryset = queryset.filter(cleared_at__isnull=True, suppressed_at__isnull=True)
    elif filters.state == SuppressionState.CLEARED:
        queryset = queryset.filter(cleared_at__isnull=False)
    if filters.reason:
        queryset = queryset.filter(reason=filters.reason)
    if filters.q:
        queryset = queryset.filter(
            Q(address__icontains=filters.q.strip()) | Q(detail__icontains=filters.q.strip())
        )
    return queryset.order_by("-last_event_at", "-id")


def unsubscribe_target(token: str) -> tuple[Email, str | None] | None:
    """The email with this tracking token and the address its unsubscribe link stops.

    The address is None when the email went to more than one address: everyone got the
    same link, so it cannot tell who clicked it, and one recipient must never unsubscribe
    another."""
    email = (
        Email.objects.filter(tracking_token=token, direction=Direction.OUTBOUND)
        .prefetch_related("recipients")
        .only("id", "subject", "contact_id", "tracking_token")
        .first()
    )
    if email is None:
        return None
    recipients = list(email.recipients.all())
    return email, (recipients[0].address if len(recipients) == 1 else None)


def unsubscribed(address: str) -> bool:
    return Suppression.objects.filter(
        address=address.lower(), cleared_at__isnull=True, suppressed_at__isnull=False
    ).exists()


# ---- Values of template variables ----------------------------------------------------------


@functools.lru_cache(maxsize=16)
def parsed_address(value: str) -> tuple[str, str]:
    """(display name, address) of a From value such as DEFAULT_FROM_EMAIL; a batch of
    emails asks for the same few values thousands of times, and parsing is not cheap."""
    return parseaddr(value)


def sender_details(actor: User | None) -> dict[str, str]:
    """{{sender_name}}, {{sender_email}} and {{sender_company}} for emails `actor` sends."""
    company, mailbox = parsed_address(settings.DEFAULT_FROM_EMAIL)
    name = (actor.get_full_name() or actor.get_username()) if actor is not None else company
    return {
        "sender_name": name,
        "sender_email": getattr(actor, "email", "") or mailbox,
        "sender_company": company,
    }


def user_zone(user: User | None) -> zoneinfo.ZoneInfo:
    """The time zone `user` picked under Settings (default: settings.TIME_ZONE)."""
    profile = getattr(user, "profile", None) if user is not None else None
    return zoneinfo.ZoneInfo(profile.timezone if profile is not None else settings.TIME_ZONE)


def recipient_zone(contact: ContactPerson | None, client: Client | None) -> zoneinfo.ZoneInfo:
    if contact is not None:
        return zoneinfo.ZoneInfo(contact.effective_timezone)
    return zoneinfo.ZoneInfo(client.timezone if client and client.timezone else settings.TIME_ZONE)


def _project_name(client: Client | None, project: Project | None) -> str:
    if project is not None:
        return project.name
    if client is None:
        return ""
    latest = (
        client.projects.filter(status=ProjectStatus.ACTIVE)
        .order_by("-started_on", "-id")
        .values_list("name", flat=True)
        .first()
    )
    return latest or ""


def _deal_title(client: Client | None, deal: Deal | None) -> str:
    if deal is not None:
        return deal.title
    if client is None:
        return ""
    latest = (
        client.deals.exclude(stage__in=[DealStage.WON, DealStage.LOST])
        .order_by("-created_at", "-id")
        .values_list("title", flat=True)
        .first()
    )
    return latest or ""


@dataclass(frozen=True)
class Subject:
    """Who and what an email is about: where its variables get their values."""

    contact: ContactPerson | None
    client: Client | None
    address: str
    deal: Deal | None = None
    project: Project | None = None

    def label(self) -> str:
        """How the recipient is named in messages, e.g. 'Rahim Uddin (Acme Ltd)'."""
        if self.contact is not None:
            return f"{self.contact.full_name} ({self.contact.client.name})"
        return self.address or (self.client.name if self.client else "this recipient")


CLIENT_ATTRIBUTES = {
    "client_name": "name",
    "client_website": "website",
    "client_industry": "industry",
    "client_city": "city",
}
CONTACT_ATTRIBUTES = {
    "contact_name": "full_name",
    "contact_first_name": "first_name",
    "contact_last_name": "last_name",
    "contact_title": "job_title",
}


def _value(name: str, subject: Subject, sender: dict[str, str], at: datetime) -> str:
    if name in CLIENT_ATTRIBUTES:
        return getattr(subject.client, CLIENT_ATTRIBUTES[name]) if subject.client else ""
    if name in CONTACT_ATTRIBUTES:
        return getattr(subject.contact, CONTACT_ATTRIBUTES[name]) if subject.contact else ""
    if name in sender:
        return sender[name]
    if name == "contact_email":
        return subject.address
    if name == "project_name":
        return _project_name(subject.client, subject.project)
    if name == "deal_title":
        return _deal_title(subject.client, subject.deal)
    today = at.astimezone(recipient_zone(subject.contact, subject.client)).date()
    return f"{today.day} {today:%B %Y}" if name == "date" else str(today.year)


def template_values(
    *, used: tuple[str, ...], subject: Subject, sender: dict[str, str], at: datetime
) -> dict[str, str]:
    """The values of the variables in `used` that have one (the others stay undefined).

    Only the variables a template uses are looked up, so a batch pays for the project and
    deal queries only when its template asks for them.
    """
    values = {name: _value(name, subject, sender, at) for name in used}
    return {name: value for name, value in values.items() if value}


# ---- Templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFilters:
    category: str = ""
    template_type: str = ""
    active: bool | None = None
    q: str = ""


def template_list(filters: TemplateFilters) -> QuerySet[EmailTemplate]:
    queryset = EmailTemplate.objects.all()
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.template_type:
        queryset = queryset.filter(template_type=filters.template_type)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(subject__icontains=filters.q))
    return queryset.order_by("name", "id")


# ---- Emails ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailFilters:
    client: int | None = None
    contact: int | None = None
    email_type: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""


# The first and last days whose midnight exists in UTC from every zone: a filter on a day
# beyond them (0001-01-01, 9999-12-31) would overflow and fail with a 500.
FIRST_DAY, LAST_DAY = date.min + timedelta(days=1), date.max - timedelta(days=2)


def _day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), time.min, tzinfo=zone)


def _day_end(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The midnight that ends `day` in `zone`."""
    return _day_start(min(day, LAST_DAY - timedelta(days=1)) + timedelta(days=1), zone)


def email_list(filters: EmailFilters, *, zone: zoneinfo.ZoneInfo) -> QuerySet[Email]:
    """Emails newest first by when they went (or will go), with what a row shows.

    An email's date is when it was sent, else when it is scheduled, else when it was
    written; `date_from`/`date_to` are whole days in `zone`.
    """
    queryset = Email.objects.annotate(
        date=Coalesce("sent_at", "scheduled_at", "created_at", output_field=DateTimeField())
    )
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    if filters.contact:
        queryset = queryset.filter(contact_id=filters.contact)
    if filters.email_type:
        queryset = queryset.filter(email_type=filters.email_type)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from:
        queryset = queryset.filter(date__gte=_day_start(filters.date_from, zone))
    if filters.date_to:
        queryset = queryset.filter(date__lt=_day_end(filters.date_to, zone))
    if filters.q:
        recipients = EmailRecipient.objects.filter(email=OuterRef("pk")).filter(
            Q(address__icontains=filters.q) | Q(name__icontains=filters.q)
        )
        queryset = queryset.filter(Q(subject__icontains=filters.q) | Exists(recipients))
    return (
        queryset.order_by("-date", "-id")
        .select_related("client", "contact", "template")
        .prefetch_related("recipients")
    )


def email_detail(pk: int) -> Email:
    """One email with its recipients, attachments, links and events (Email.DoesNotExist)."""
    return (
        Email.objects.select_related("client", "contact", "template", "deal", "project")
        .prefetch_related(
            "recipients",
            "attachments",
            "links",
            Prefetch("events", queryset=EmailEvent.objects.select_related("link")),
        )
        .get(pk=pk)
    )


# ---- Threads -------------------------------------------------------------------------------

# A conversation is shown up to this many messages (the newest are kept).
THREAD_LIMIT = 300
# Rounds of following In-Reply-To for mail that carries no References header.
THREAD_ROUNDS = 5


def _thread_ids(email: Email) -> list[str]:
    """The Message-IDs `email` names: its own, the one it answers and its References."""
    ids = [email.message_id, email.in_reply_to, *email.references.split()]
    return [m for m in dict.fromkeys(ids) if m and len(m) <= 255]


def email_thread(email: Email) -> list[Email]:
    """The conversation `email` belongs to, ours and theirs, oldest first, each with its
    sender's contact, `is_auto_reply` and `answers` (the message it answers, when in the
    thread).

    Linked by Message-ID, In-Reply-To and References, in rounds of indexed lookups. A lone
    email ends after the first. In a conversation the second round also finds every message
    whose References name the thread's first message (mail apps put the whole chain there),
    and a few more rounds follow In-Reply-To for mail without References: the number of
    queries does not grow with the thread's length.
    """
    known = set(_thread_ids(email))
    root = (email.references.split() or [email.in_reply_to or email.message_id])[0]
    found: dict[int, Email] = {}
    frontier = set(known)
    for round_number in range(THREAD_ROUNDS):
        matches = Q(message_id__in=frontier) | Q(in_reply_to__in=frontier)
        if round_number == 1 and len(root) <= 255:
            # A conversation, not a lone email: one unindexed scan for the whole chain.
            matches |= Q(references__contains=root)
        rows = Email.objects.filter(matches).only("id", "message_id", "in_reply_to", "references")[
            : THREAD_LIMIT * 2
        ]
        frontier = set()
        for row in rows:
            if row.pk not in found:
                found[row.pk] = row
                frontier.update(set(_thread_ids(row)) - known)
        known |= frontier
        if not frontier:
            break
    auto_reply = MailboxMessage.objects.filter(email=OuterRef("pk"), kind=MessageKind.AUTO_REPLY)
    messages: list[Any] = list(  # Emails with the annotations and `answers`
        Email.objects.filter(pk__in=found or [email.pk])
        .annotate(
            date=Coalesce("sent_at", "created_at", output_field=DateTimeField()),
            is_auto_reply=Exists(auto_reply),
        )
        .select_related("contact")
        .order_by("-date", "-id")[:THREAD_LIMIT]
    )
    messages.reverse()
    by_message_id = {m.message_id: m for m in messages}
    for message in messages:
        message.answers = by_message_id.get(message.in_reply_to)
    return messages


# ---- Analytics ---------------------------------------------------------------------------

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _measures() -> dict[str, Aggregate]:
    return {
        "sent": Count("id"),
        "tracked": Count("id", filter=Q(tracking_token__isnull=False)),
        "opened": Count("id", filter=Q(first_opened_at__isnull=False)),
        "clicked": Count("id", filter=Q(click_count__gt=0)),
        "replied": Count("id", filter=Q(replied_at__isnull=False)),
        "bounced": Count("id", filter=Q(bounced_at__isnull=False)),
        "response_time": Avg(
            ExpressionWrapper(F("replied_at") - F("sent_at"), output_field=DurationField()),
            filter=Q(replied_at__isnull=False),
        ),
    }


def _hours(value: timedelta | float | None) -> float | None:
    """An average duration in hours (SQLite averages durations as microseconds)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value / 1_000_000
    return round(seconds / 3600, 1)


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    """A row of counts with its reply and bounce rates (percent of sent), its open and click
    rates (percent of tracked: mail written in a mail app and read from the Sent folder had
    no pixel and no tracked links, so it cannot count as unopened) and the average time to
    the first reply, in hours (None without replies)."""
    counts = {key: value for key, value in row.items() if key != "response_time"}
    return {
        **counts,
        "response_hours": _hours(row.get("response_time")),
        "open_rate": _rate(row["opened"], row["tracked"]),
        "click_rate": _rate(row["clicked"], row["tracked"]),
        "reply_rate": _rate(row["replied"], row["sent"]),
        "bounce_rate": _rate(row["bounced"], row["sent"]),
    }


def _counts(queryset: QuerySet[Email], *group: str) -> list[dict[str, Any]]:
    return [with_rates(row) for row in queryset.values(*group).annotate(**_measures())]


def _best(rows: list[dict[str, Any]], key: str, min_sent: int) -> Any:
    """The `key` of the row with the best open rate among rows with enough emails sent."""
    candidates = [row for row in rows if row["sent"] >= min_sent]
    if not candidates:
        return None
    best = max(candidates, key=lambda row: (row["open_rate"], row["sent"], -row[key]))
    return best[key]


def sent_emails(
    *, zone: zoneinfo.ZoneInfo, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Email]:
    """Outbound emails a mail server accepted, sent between two days (whole days in `zone`).

    Outbox mail was never delivered, so it is not counted.
    """
    sent = Email.objects.filter(
        direction=Direction.OUTBOUND,
        sent_at__isnull=False,
        status__in=[EmailStatus.SENT, EmailStatus.BOUNCED],
    )
    if date_from:
        sent = sent.filter(sent_at__gte=_day_start(date_from, zone))
    if date_to:
        sent = sent.filter(sent_at__lt=_day_end(date_to, zone))
    return sent


def client_counts(sent: QuerySet[Email]) -> QuerySet[Email, Any]:
    """Counts per client of `sent`, most emails first (rows for `with_rates`); slice or
    paginate it, the database does the sorting."""
    return (
        sent.filter(client__isnull=False)
        .values("client_id", client_name=F("client__name"))
        .annotate(**_measures())
        .order_by(F("sent").desc(), F("client_name"), "client_id")
    )


def email_analytics(
    *,
    zone: zoneinfo.ZoneInfo,
    date_from: date | None = None,
    date_to: date | None = None,
    period: str = "week",
    min_sent: int = 5,
    top_clients: int = 20,
) -> dict[str, Any]:
    """Sent, open, click, reply and bounce rates overall, by type, client and period.

    Counts outbound emails a mail server accepted (outbox mail was never delivered).
    "Opened" is a person opening it: opens by mail proxies and prefetchers are excluded,
    and a person's click counts as an open (their mail app may block images). The best
    hour and weekday (in `zone`) are those with the best open rate among those with at
    least `min_sent` emails. `top_clients=0` leaves the clients out (a page lists them
    page by page with `client_counts`).
    """
    sent = sent_emails(zone=zone, date_from=date_from, date_to=date_to)
    labels = dict(EmailType.choices)
    by_type = [
        {**row, "label": labels.get(row["email_type"], row["email_type"])}
        for row in _counts(sent.order_by(), "email_type")
    ]
    by_client = (
        [with_rates(row) for row in client_counts(sent)[:top_clients]] if top_clients else []
    )
    periods = _counts(
        sent.annotate(period=PERIODS[period]("sent_at", tzinfo=zone)).order_by(), "period"
    )
    hours = _counts(sent.annotate(hour=ExtractHour("sent_at", tzinfo=zone)).order_by(), "hour")
    weekdays = _counts(
        sent.annotate(weekday=ExtractIsoWeekDay("sent_at", tzinfo=zone)).order_by(), "weekday"
    )
    best_weekday = _best(weekdays, "weekday", min_sent)
    return {
        "totals": with_rates(sent.aggregate(**_measures())),
        "by_type": sorted(by_type, key=lambda row: -row["sent"]),
        "by_client": by_client,
        "by_period": sorted(
            ({**row, "period": row["period"].date()} for row in periods),
            key=lambda row: row["period"],
        ),
        "by_hour": sorted(hours, key=lambda row: row["hour"]),
        "by_weekday": sorted(
            ({**row, "name": WEEKDAYS[row["weekday"] - 1]} for row in weekdays),
            key=lambda row: row["weekday"],
        ),
        "best_hour": _best(hours, "hour", min_sent),
        "best_weekday": WEEKDAYS[best_weekday - 1] if best_weekday else None,
    }


# ---- Pages -------------------------------------------------------------------------------


def sending_outcome(email: Email) -> tuple[str, str]:
    """What happened to a just-written email, truthfully: (message level, sentence)."""
    email.refresh_from_db(fields=["status", "scheduled_at", "last_error"])
    recipients = ", ".join(r.address for r in email.recipients.all())
    if email.status == EmailStatus.SENT:
        return "success", f"Sent to {recipients}."
    if email.status == EmailStatus.SCHEDULED:
        return "success", "Scheduled. It will be sent at the time shown below."
    if email.status == EmailStatus.OUTBOX or (
        email.status == EmailStatus.QUEUED and not settings.EMAIL_DELIVERY_ENABLED
    ):
        return "warning", (
            "Kept in the outbox — not delivered: no mailbox is configured (EMAIL_URL). "
            "Nothing was sent to " + recipients + "."
        )
    if email.status == EmailStatus.FAILED:
        return "error", f"Sending failed: {email.last_error or 'the mail server refused it'}."
    return "info", f"Queued for {recipients}; it will be sent in a moment."


def templates_for_picker() -> list[dict[str, Any]]:
    """Active templates with what the composer's picker fills in."""
    rows = EmailTemplate.objects.filter(is_active=True).order_by("category", "name")
    return [
        {
            "id": t.pk,
            "name": t.name,
            "subject": t.subject,
            "body_html": t.body_html,
            "email_type": t.template_type,
        }
        for t in rows
    ]
