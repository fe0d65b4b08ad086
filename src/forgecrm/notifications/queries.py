"""Reads for notifications: a user's unread count and latest items, desktop alerts, and
the active clients nobody has contacted for longer than their tier allows."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from forgecrm.clients.models import Client, RelationshipStatus
from forgecrm.notifications.models import (
    ALERT_KINDS,
    DEFAULT_CADENCE_DAYS,
    Notification,
    TierCadence,
)
from forgecrm.timeline.models import Communication

# Desktop alerts per answer; when more are waiting the answer says so (`more`) and the page
# asks again right away with the new `after`, so none is lost and none is shown twice.
ALERTS_PER_POLL = 20
# A desktop alert about something older than this is no news any more.
ALERT_MAX_AGE = timedelta(hours=24)


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def latest(user: User, *, limit: int = 8) -> list[Notification]:
    return list(notifications_for(user)[:limit])


def alerts_after(
    user: User, *, after: int, now: datetime | None = None, limit: int = ALERTS_PER_POLL
) -> list[Notification]:
    """Unread reminders and due/overdue items newer than id `after`, oldest first (the next
    page starts after the last one), for desktop alerts."""
    now = now or timezone.now()
    rows = Notification.objects.filter(
        user=user,
        pk__gt=after,
        read_at__isnull=True,
        kind__in=ALERT_KINDS,
        created_at__gte=now - ALERT_MAX_AGE,
    ).order_by("id")
    return list(rows[:limit])


def latest_id(user: User) -> int:
    return notifications_for(user).values_list("pk", flat=True).first() or 0


def cadence_days() -> dict[str, int]:
    """Days of silence allowed per tier (the defaults for a tier without a row)."""
    days: dict[str, int] = {str(tier): value for tier, value in DEFAULT_CADENCE_DAYS.items()}
    days.update(TierCadence.objects.values_list("tier", "days"))
    return days


def silent_clients(*, now: datetime | None = None, owner: User | None = None) -> QuerySet[Client]:
    """Active clients with no communication for longer than their tier's cadence.

    One query: each client's cut-off is picked by tier, then a NOT EXISTS probe of the
    (client, occurred_at) index looks for any contact since. A client never contacted is
    silent from its creation. Annotated with `last_contact` and `silent_since`; the
    longest silent first.
    """
    now = now or timezone.now()
    cutoff = Case(
        *(
            When(tier=tier, then=Value(now - timedelta(days=days)))
            for tier, days in cadence_days().items()
        ),
        output_field=DateTimeField(),
    )
    contacted_since = Communication.objects.filter(
        client=OuterRef("pk"), occurred_at__gte=OuterRef("cutoff")
    )
    last_contact = Subquery(
        Communication.objects.filter(client=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1],
        output_field=DateTimeField(),
    )
    queryset = (
        Client.objects.filter(status=RelationshipStatus.ACTIVE)
        .annotate(cutoff=cutoff)
        .filter(cutoff__isnull=False, created_at__lt=F("cutoff"))
        .filter(~Exists(contacted_since))
        .annotate(last_contact=last_contact)
        .annotate(silent_since=Coalesce("last_contact", "created_at"))
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    return queryset.select_related("owner").order_by("silent_since", "id")
