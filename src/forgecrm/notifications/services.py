"""Writes for notifications: the producers the worker runs every minute, marking read,
the morning digest, cadences and preferences.

Producers are safe to run twice or side by side: a notification's (user, key) is unique
and rows are inserted with ignore_conflicts, a silent stretch is claimed once per client
(SilenceAlert) and a digest once per user and local day (DigestSent) before it is sent.
"""

import logging
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from forgecrm.accounts.models import UserProfile
from forgecrm.accounts.roles import MANAGER
from forgecrm.clients.models import Tier
from forgecrm.core.audit import acting_as
from forgecrm.emails.queries import user_zone
from forgecrm.events import queries as events_queries
from forgecrm.followups.models import FollowUpTask
from forgecrm.followups.queries import OPEN, day_bounds, responsible_for
from forgecrm.notifications import queries
from forgecrm.notifications.models import (
    DigestSent,
    Notification,
    NotificationKind,
    NotificationPreference,
    SilenceAlert,
    TierCadence,
)

logger = logging.getLogger(__name__)

# A follow-up that went overdue while the worker was down this long is still notified;
# older ones are not (so a first start does not bury people under old news).
OVERDUE_LOOKBACK = timedelta(hours=24)
SILENT_CLIENTS_PER_RUN = 500
KEEP_READ = timedelta(days=90)
DIGEST_FROM_HOUR, DIGEST_UNTIL_HOUR = 8, 12
KEY_TIME = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Draft:
    user_id: int
    kind: str
    title: str
    body: str
    url: str
    key: str


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(KEY_TIME)


def _insert(drafts: Iterable[Draft], *, now: datetime) -> int:
    """Insert the drafts not notified yet; returns how many are new."""
    drafts = list(drafts)
    if not drafts:
        return 0
    known = set(
        Notification.objects.filter(key__in={d.key for d in drafts}).values_list("user_id", "key")
    )
    fresh = [d for d in drafts if (d.user_id, d.key) not in known]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=d.user_id,
                kind=d.kind,
                title=d.title[:200],
                body=d.body,
                url=d.url,
                key=d.key,
                created_at=now,
            )
            for d in fresh
        ],
        ignore_conflicts=True,
    )
    return len(fresh)


def _followup_url(task: FollowUpTask) -> str:
    return f"{reverse('followups:dashboard')}?client={task.client_id}#followup-{task.pk}"


def _zones(user_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        UserProfile.objects.filter(user_id__in=set(user_ids)).values_list("user_id", "timezone")
    )


def _due_text(task: FollowUpTask, zone_name: str | None) -> str:
    local = timezone.localtime(task.due_at, zoneinfo.ZoneInfo(zone_name or settings.TIME_ZONE))
    return f"{task.client.name} · due {local:%a %d %b, %H:%M}"


def _followup_drafts(tasks: Sequence[FollowUpTask], kind: str, title: str) -> list[Draft]:
    """One draft per follow-up for its assignee, else the client's owner, else nobody."""
    recipients = {task.pk: task.assignee_id or task.client.owner_id for task in tasks}
    zones = _zones(r for r in recipients.values() if r)
    return [
        Draft(
            user_id=user_id,
            kind=kind,
            title=f"{title}: {task.title}",
            body=_due_text(task, zones.get(user_id)),
            url=_followup_url(task),
            key=f"{kind}:{task.pk}:{_stamp(task.due_at)}",
        )
        for task in tasks
        if (user_id := recipients[task.pk])
    ]


def _open_followups() -> QuerySet[FollowUpTask]:
    return FollowUpTask.objects.filter(
        status__in=OPEN, client__deleted_at__isnull=True
    ).select_related("client")


def notify_reminders(*, now: datetime) -> int:
    """Open follow-ups whose reminder time (due minus `remind_before`) has come."""
    remind_at = ExpressionWrapper(F("due_at") - F("remind_before"), output_field=DateTimeField())
    tasks = list(
        _open_followups()
        .filter(remind_before__isnull=False, due_at__gt=now)
        .alias(remind_at=remind_at)
        .filter(remind_at__lte=now)
    )
    return _insert(_followup_drafts(tasks, NotificationKind.REMINDER, "Reminder"), now=now)


def notify_overdue(*, now: datetime) -> int:
    """Open follow-ups that went overdue (in the last OVERDUE_LOOKBACK)."""
    tasks = list(_open_followups().filter(due_at__lte=now, due_at__gt=now - OVERDUE_LOOKBACK))
    return _insert(_followup_drafts(tasks, NotificationKind.OVERDUE, "Overdue"), now=now)


def _manager_ids() -> list[int]:
    return list(
        User.objects.filter(is_active=True, groups__name=MANAGER).values_list("pk", flat=True)
    )


def notify_not_contacted(*, now: datetime) -> int:
    """Active clients silent for longer than their tier's cadence: once per silent stretch,
    to the client's owner (or every manager when it has none)."""
    already = SilenceAlert.objects.filter(
        client=OuterRef("pk"), silent_since=OuterRef("silent_since")
    )
    fields = ("pk", "name", "tier", "owner_id", "silent_since", "last_contact")
    silent = queries.silent_clients(now=now).filter(~Exists(already))
    clients = list(silent.values(*fields)[:SILENT_CLIENTS_PER_RUN])  # type: ignore[misc]
    if not clients:
        return 0
    managers = _manager_ids() if any(c["owner_id"] is None for c in clients) else []
    drafts = []
    for client in clients:
        days = (now - client["silent_since"]).days
        since = (
            "never contacted" if client["last_contact"] is None else f"no contact for {days} days"
        )
        for user_id in [client["owner_id"]] if client["owner_id"] else managers:
            drafts.append(
                Draft(
                    user_id=user_id,
                    kind=NotificationKind.NOT_CONTACTED,
                    title=f"{client['name']}: {since}",
                    body=f"{Tier(client['tier']).label} client, active.",
                    url=reverse("clients:detail", args=[client["pk"]]),
                    key=f"not-contacted:{client['pk']}:{_stamp(client['silent_since'])}",
                )
            )
    with transaction.atomic():
        SilenceAlert.objects.bulk_create(
            [
                SilenceAlert(client_id=c["pk"], silent_since=c["silent_since"], created_at=now)
                for c in clients
            ],
            ignore_conflicts=True,
        )
        return _insert(drafts, now=now)


def _in_days(days: int) -> str:
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


def notify_important_dates(*, now: datetime) -> int:
    """Stored important dates whose "notify days before" has come (in the site's days):
    once per occurrence, to the owner of the client it is about, or every manager when it
    has none, is about no client, or its owner has left."""
    today = timezone.localdate(now)
    managers: list[int] | None = None
    drafts = []
    for event, occurrence in events_queries.coming_within_notice(today):
        client, owner = event.about_client, event.reminded_owner
        if owner is not None:
            users = [owner.pk]
        else:
            managers = _manager_ids() if managers is None else managers
            users = managers
        when = f"{_in_days((occurrence.date - today).days)}, {occurrence.date:%a %d %b}"
        greeting = "a greeting will be prepared for approval" if event.send_greeting else ""
        about = [client.name if client else "", greeting]
        for user_id in users:
            drafts.append(
                Draft(
                    user_id=user_id,
                    kind=NotificationKind.IMPORTANT_DATE,
                    title=f"{event.name} {when}",
                    body=" · ".join(filter(None, about)),
                    url=event.get_absolute_url(),
                    key=f"important-date:{occurrence.key}",
                )
            )
    return _insert(drafts, now=now)


PRODUCERS: dict[str, Callable[..., int]] = {
    "reminders": notify_reminders,
    "overdue": notify_overdue,
    "not_contacted": notify_not_contacted,
    "important_dates": notify_important_dates,
}


def notify_all(*, now: datetime | None = None) -> dict[str, int]:
    """Every producer once; how many notifications each made. One that fails (a row it
    cannot handle) is logged and the others still run."""
    now = now or timezone.now()
    made = {}
    for name, producer in PRODUCERS.items():
        try:
            with transaction.atomic():
                made[name] = producer(now=now)
        except Exception:
            logger.exception("The %s notifications could not be made", name)
            made[name] = 0
    return made


# ---- Reading them ------------------------------------------------------------------------


def mark_read(*, notification: Notification, at: datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = at or timezone.now()
        notification.save(update_fields=["read_at"])


def mark_all_read(*, user: User, at: datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )


def purge_old(*, now: datetime | None = None) -> int:
    """Forget notifications read more than KEEP_READ ago and digest claims of past days
    (the claims only matter on their own day); returns how many notifications went."""
    now = now or timezone.now()
    deleted, _ = Notification.objects.filter(read_at__lt=now - KEEP_READ).delete()
    DigestSent.objects.filter(date__lt=(now - timedelta(days=2)).date()).delete()
    return deleted


# ---- Settings ----------------------------------------------------------------------------


@transaction.atomic
def cadences_update(*, days: dict[str, int], actor: User | None) -> None:
    """Set the days of silence allowed per tier (audited)."""
    with acting_as(actor):
        for tier, value in days.items():
            row, created = TierCadence.objects.get_or_create(tier=tier, defaults={"days": value})
            if not created and row.days != value:
                row.days = value
                row.save(update_fields=["days"])


def wants_morning_digest(user: User) -> bool:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference is None or preference.morning_digest


def set_morning_digest(*, user: User, enabled: bool) -> None:
    NotificationPreference.objects.update_or_create(user=user, defaults={"morning_digest": enabled})


# ---- The morning digest ------------------------------------------------------------------


@dataclass
class Digest:
    user: User
    day: date
    overdue: list[FollowUpTask]
    today: list[FollowUpTask]


def digest_for(user: User, *, now: datetime) -> Digest:
    """The user's open follow-ups overdue and due (later) today, in their time zone."""
    zone = user_zone(user)
    _, tomorrow = day_bounds(now, zone)
    rows = list(
        _open_followups()
        .filter(responsible_for(user), due_at__lt=tomorrow)
        .select_related("contact")
        .order_by("due_at", "id")
    )
    return Digest(
        user=user,
        day=timezone.localtime(now, zone).date(),
        overdue=[t for t in rows if t.due_at < now],
        today=[t for t in rows if t.due_at >= now],
    )


def _digest_candidates(*, now: datetime) -> list[User]:
    """Active users with an email address and open follow-ups due by tomorrow (UTC) who
    did not turn the digest off."""
    due_soon = _open_followups().filter(
        responsible_for(OuterRef("pk")), due_at__lt=now + timedelta(days=1)
    )
    opted_out = NotificationPreference.objects.filter(user=OuterRef("pk"), morning_digest=False)
    return list(
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Exists(due_soon))
        .exclude(Exists(opted_out))
        .select_related("profile")
    )


def _claim_digest(user: User, day: date, now: datetime) -> DigestSent | None:
    try:
        with transaction.atomic():
            return DigestSent.objects.create(user=user, date=day, created_at=now)
    except IntegrityError:
        return None


def _digest_message(digest: Digest) -> EmailMultiAlternatives:
    context = {
        "digest": digest,
        "site_url": settings.SITE_URL,
        "zone": user_zone(digest.user),
        "dashboard_url": settings.SITE_URL + reverse("followups:dashboard") + "?mine=on",
        "settings_url": settings.SITE_URL + reverse("accounts:settings"),
    }
    with timezone.override(context["zone"]):
        subject = render_to_string("notifications/email/digest-subject.txt", context)
        text = render_to_string("notifications/email/digest-body.txt", context)
        html = render_to_string("notifications/email/digest-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_morning_digests(*, now: datetime | None = None) -> int:
    """Each user whose local time is 08:00–11:59 gets today's digest, once; returns how
    many were sent. A digest that fails to send gives its claim back, to be retried at the
    next run."""
    now = now or timezone.now()
    sent = 0
    for user in _digest_candidates(now=now):
        local = timezone.localtime(now, user_zone(user))
        if not DIGEST_FROM_HOUR <= local.hour < DIGEST_UNTIL_HOUR:
            continue
        digest = digest_for(user, now=now)
        if not (digest.overdue or digest.today):
            continue
        claim = _claim_digest(user, digest.day, now)
        if claim is None:
            continue
        try:
            _digest_message(digest).send()
        except Exception:
            logger.exception("The morning digest of %s could not be sent", user.username)
            claim.delete()
            continue
        sent += 1
    return sent
