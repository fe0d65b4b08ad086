"""Greetings for the calendar's occasions: prepared ahead, approved by a person, sent once.

- `prepare` (daily) stores a proposed Greeting per occasion and recipient for the next
  GREETINGS_PREPARE_DAYS days. The unique (occurrence_key, contact) pair makes it
  idempotent, and it is what keeps anyone from being greeted twice for one occasion.
- An approved greeting goes at 09:00 on the day in the recipient's own time zone
  (`send_at`, stored in UTC).
- `send_due` (every few minutes) claims each due greeting with a conditional UPDATE
  approved -> sending that must change exactly one row, then creates its email through
  the emails services and records it in one transaction, checked against the claim. A
  second worker finds nothing to claim; a worker that died after claiming leaves a
  greeting without email, handed back to `approved` once the claim is stale.
"""

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.html import escape, linebreaks

from forgecrm.clients.models import Client, ContactEmail, ContactPerson, RelationshipStatus
from forgecrm.emails import defaults
from forgecrm.emails import services as email_services
from forgecrm.emails.models import EmailTemplate, EmailType
from forgecrm.emails.queries import Subject
from forgecrm.events import queries
from forgecrm.events.holiday_calendar import LUNAR_KEYS
from forgecrm.events.models import EventType, Greeting, GreetingStatus, ImportantDate
from forgecrm.events.occurrence import Occurrence, Source

logger = logging.getLogger(__name__)

Actor = User | None

GREETING_HOUR = 9
# A claim older than this without an email is a worker that died: the greeting goes back.
STALE_CLAIM = timedelta(minutes=10)
# After 09:00 + this, the recipient's day is over: an approved greeting is no longer sent.
LATEST_AFTER_SEND_AT = timedelta(hours=15)
BATCH = 200

HOLIDAY_TEMPLATES = {
    "new-year": defaults.NEW_YEAR,
    "pohela-boishakh": defaults.POHELA_BOISHAKH,
    "eid-ul-fitr": defaults.EID_UL_FITR,
    "eid-ul-adha": defaults.EID_UL_ADHA,
    "thanksgiving": defaults.THANKSGIVING,
    "christmas": defaults.CHRISTMAS,
}
EVENT_TYPE_TEMPLATES = {
    EventType.BIRTHDAY: defaults.BIRTHDAY,
    EventType.ANNIVERSARY: defaults.ANNIVERSARY,
    EventType.BUSINESS_MILESTONE: defaults.BUSINESS_ANNIVERSARY,
}
FALLBACK_TEMPLATE = "Season's greetings"
CUSTOM_SUBJECT = "Warm wishes from {{sender_company}}"

OPEN = (GreetingStatus.PROPOSED, GreetingStatus.EXCLUDED, GreetingStatus.FAILED)


def send_time(day: date, zone_name: str) -> datetime:
    """09:00 on `day` where the recipient is, in UTC."""
    local = datetime.combine(day, time(GREETING_HOUR), tzinfo=zoneinfo.ZoneInfo(zone_name))
    return local.astimezone(UTC)


def reachable_contacts() -> QuerySet[ContactPerson]:
    """Contacts in no trash, of a client in no trash, with at least one e-mail address."""
    return (
        ContactPerson.objects.filter(client__deleted_at__isnull=True)
        .filter(Exists(ContactEmail.objects.filter(contact=OuterRef("pk"))))
        .select_related("client")
    )


def _active_clients() -> QuerySet[Client]:
    return Client.objects.filter(status=RelationshipStatus.ACTIVE)


@dataclass(frozen=True)
class Plan:
    """Who gets a greeting for an occasion, and what it says."""

    contacts: list[ContactPerson]
    template_name: str = ""
    template: EmailTemplate | None = None
    subject: str = ""
    body_html: str = ""


class Planner:
    """The plans of many occasions: their events and recipients are read up front, in a
    few queries, rather than a query or two per birthday."""

    def __init__(self, occasions: Iterable[Occurrence]) -> None:
        occasions = list(occasions)
        self.events = {
            e.pk: e
            for e in ImportantDate.objects.filter(
                pk__in=[o.event_id for o in occasions if o.event_id]
            ).select_related("message_template")
        }
        contact_ids = {o.contact_id for o in occasions if o.contact_id}
        contact_ids |= {e.contact_id for e in self.events.values() if e.contact_id}
        client_ids = {o.client_id for o in occasions if o.source == Source.CLIENT_SINCE}
        client_ids |= {e.client_id for e in self.events.values() if e.client_id}
        primaries = Client.objects.filter(pk__in=client_ids, primary_contact__isnull=False)
        self.primary_of = dict(primaries.values_list("pk", "primary_contact"))
        wanted = contact_ids | set(self.primary_of.values())
        self.contacts = {c.pk: c for c in reachable_contacts().filter(pk__in=wanted)}
        self._of_active_clients: list[ContactPerson] | None = None

    def _reachable(self, *contact_ids: int | None) -> list[ContactPerson]:
        return [self.contacts[pk] for pk in contact_ids if pk in self.contacts]

    def _primary(self, client_id: int | None) -> list[ContactPerson]:
        return self._reachable(self.primary_of.get(client_id or 0))

    def _primaries_of_active_clients(self) -> list[ContactPerson]:
        if self._of_active_clients is None:
            ids = _active_clients().filter(primary_contact__isnull=False).values("primary_contact")
            self._of_active_clients = list(reachable_contacts().filter(pk__in=ids))
        return self._of_active_clients

    def _event_plan(self, occurrence: Occurrence) -> Plan | None:
        event = self.events.get(occurrence.event_id or 0)
        if event is None or not event.send_greeting:
            return None
        if event.contact_id:
            contacts = self._reachable(event.contact_id)
        elif event.client_id:
            contacts = self._primary(event.client_id)
        else:
            contacts = self._primaries_of_active_clients()
        if event.message_template_id:
            return Plan(contacts, template=event.message_template)
        if event.custom_message.strip():
            message = linebreaks(escape(event.custom_message))
            body = f"<p>Dear {{{{contact_first_name}}}},</p>{message}"
            return Plan(contacts, subject=CUSTOM_SUBJECT, body_html=body + defaults.SIGNATURE)
        name = EVENT_TYPE_TEMPLATES.get(EventType(event.event_type), FALLBACK_TEMPLATE)
        return Plan(contacts, template_name=name)

    def personal_slot(self, occurrence: Occurrence) -> tuple[int, date, str] | None:
        """(contact, day, birthday or anniversary) when the occasion is one of those of one
        person: from the contact's record, or stored as an important date of theirs."""
        if occurrence.source in (Source.BIRTHDAY, Source.CONTACT_ANNIVERSARY):
            assert occurrence.contact_id is not None
            return occurrence.contact_id, occurrence.date, occurrence.event_type
        event = self.events.get(occurrence.event_id or 0)
        if event is not None and event.contact_id and event.event_type in PERSONAL_TYPES:
            return event.contact_id, occurrence.date, event.event_type
        return None

    def plan_for(self, occurrence: Occurrence) -> Plan | None:
        """The recipients and message of an occasion; None when it calls for no greeting."""
        source = occurrence.source
        if source == Source.HOLIDAY:
            name = HOLIDAY_TEMPLATES.get(occurrence.source_id)
            return Plan(self._primaries_of_active_clients(), name) if name else None
        if source == Source.BIRTHDAY:
            return Plan(self._reachable(occurrence.contact_id), defaults.BIRTHDAY)
        if source == Source.CONTACT_ANNIVERSARY:
            return Plan(self._reachable(occurrence.contact_id), defaults.ANNIVERSARY)
        if source == Source.CLIENT_SINCE:
            return Plan(self._primary(occurrence.client_id), defaults.BUSINESS_ANNIVERSARY)
        if source == Source.EVENT:
            return self._event_plan(occurrence)
        return None


def _templates_by_name() -> dict[str, EmailTemplate]:
    email_services.ensure_default_templates()
    return {t.name: t for t in EmailTemplate.objects.filter(category="greetings")} | {
        t.name: t for t in EmailTemplate.objects.filter(name=FALLBACK_TEMPLATE)
    }


PERSONAL_TYPES = (EventType.BIRTHDAY, EventType.ANNIVERSARY)
# The personal dates kept on a contact's record, as the event types they are.
FROM_RECORD = {
    Source.BIRTHDAY: EventType.BIRTHDAY,
    Source.CONTACT_ANNIVERSARY: EventType.ANNIVERSARY,
}


def _personal_greetings(
    found: list[Occurrence], planner: Planner
) -> dict[tuple[int, date, str], str]:
    """{(contact, day, birthday or anniversary): occasion key} of the greetings already
    prepared for one person's birthday or anniversary on the days of `found`."""
    slots = [slot for o in found if (slot := planner.personal_slot(o))]
    if not slots:
        return {}
    prepared = Greeting.objects.filter(
        contact_id__in={contact for contact, _, _ in slots},
        occasion_date__in={day for _, day, _ in slots},
    ).values_list("occurrence_key", "contact_id", "occasion_date")
    prepared = list(prepared)
    event_ids = [
        int(key.split(":")[1]) for key, _, _ in prepared if key.startswith(f"{Source.EVENT}:")
    ]
    event_types = dict(
        ImportantDate.objects.filter(pk__in=event_ids, contact__isnull=False).values_list(
            "pk", "event_type"
        )
    )
    greeted = {}
    for key, contact_id, day in prepared:
        source, source_id = key.split(":")[:2]
        kind = FROM_RECORD.get(source) or event_types.get(
            int(source_id) if source == Source.EVENT else 0
        )
        if kind in PERSONAL_TYPES:
            greeted[(contact_id, day, kind)] = key
    return greeted


def prepare_occurrences(found: Iterable[Occurrence]) -> int:
    """Store a proposed greeting for each occasion and recipient not prepared yet.

    Returns how many were added; running it again adds none.
    """
    # Stored important dates first: a person's birthday both on their record and stored as
    # an important date is greeted once, with the stored one's own template or message.
    found = sorted(found, key=lambda o: o.source != Source.EVENT)
    planner = Planner(found)
    keys = [o.key for o in found]
    done = set(
        Greeting.objects.filter(occurrence_key__in=keys).values_list("occurrence_key", "contact_id")
    )
    greeted = _personal_greetings(found, planner)
    templates: dict[str, EmailTemplate] | None = None
    rows = []
    for occurrence in found:
        plan = planner.plan_for(occurrence)
        if plan is None:
            continue
        slot = planner.personal_slot(occurrence)
        if slot is not None and greeted.setdefault(slot, occurrence.key) != occurrence.key:
            continue  # greeted through the other one, prepared first
        template = plan.template
        if template is None and plan.template_name:
            templates = templates if templates is not None else _templates_by_name()
            template = templates.get(plan.template_name)
        for contact in plan.contacts:
            if (occurrence.key, contact.pk) in done:
                continue
            done.add((occurrence.key, contact.pk))
            rows.append(
                Greeting(
                    occurrence_key=occurrence.key,
                    occasion=occurrence.title[:200],
                    occasion_date=occurrence.date,
                    contact=contact,
                    template=template,
                    subject=plan.subject,
                    body_html=plan.body_html,
                    send_at=send_time(occurrence.date, contact.effective_timezone),
                )
            )
    # A concurrent run may have stored some meanwhile: the unique constraint drops those.
    Greeting.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def prepare(*, today: date | None = None, days: int | None = None) -> int:
    """Prepare the greetings of every occasion from `today` to `days` days ahead, and those
    of stored events further ahead when their "notify days before" says so."""
    today = today or timezone.localdate()
    days = settings.GREETINGS_PREPARE_DAYS if days is None else days
    horizon = today + timedelta(days=days)
    found = queries.occurrences(today, horizon)
    found += [
        occurrence
        for event, occurrence in queries.coming_within_notice(today)
        if event.send_greeting and occurrence.date > horizon
    ]
    return prepare_occurrences(found)


# ---- Finding an occurrence by its key ----


def _years_near_hijri(year: int) -> tuple[int, int]:
    gregorian = int(year * 0.970229 + 621.5643)
    return gregorian - 1, gregorian + 1


def find_occurrence(key: str) -> Occurrence | None:
    """The occurrence a key names ('holiday:eid-ul-fitr:1448', 'event:12:2026-04-14')."""
    head, _, stamp = key.rpartition(":")
    try:
        day = date.fromisoformat(stamp)
        start = end = day
    except ValueError:
        if not stamp.isdigit() or not 1 <= int(stamp) <= 9999:
            return None
        year = int(stamp)
        source_id = head.partition(":")[2]
        first, last = _years_near_hijri(year) if source_id in LUNAR_KEYS else (year, year)
        if not 1900 <= first <= last <= 2200:
            return None
        start, end = date(first, 1, 1), date(last, 12, 31)
    # A holiday's years are long: only the holidays are read, not every birthday in them.
    types = [EventType.HOLIDAY] if head.startswith(f"{Source.HOLIDAY.value}:") else None
    found = queries.occurrences(start, end, types=types)
    return next((o for o in found if o.key == key), None)


def follow_moved_occasion(key: str) -> int:
    """Greetings not sent yet of an occasion whose day moved (an Eid confirmed as sighted,
    or set back to the estimate) move with it: their day and their 09:00 there. Returns how
    many moved."""
    occurrence = find_occurrence(key)
    if occurrence is None:
        return 0
    unsent = Greeting.objects.filter(
        occurrence_key=key, status__in=(*OPEN, GreetingStatus.APPROVED)
    ).exclude(occasion_date=occurrence.date)
    by_zone: dict[str, list[int]] = {}
    for greeting in unsent.select_related("contact__client"):
        by_zone.setdefault(greeting.contact.effective_timezone, []).append(greeting.pk)
    now = timezone.now()
    return sum(
        # The status again: one claimed for sending meanwhile goes as it is.
        unsent.filter(pk__in=ids).update(
            occasion_date=occurrence.date,
            send_at=send_time(occurrence.date, zone),
            updated_at=now,
        )
        for zone, ids in by_zone.items()
    )


# ---- Approving and excluding ----


def approve(*, greetings: QuerySet[Greeting], actor: Actor) -> int:
    """Approve the greetings not sent yet; returns how many changed."""
    return greetings.filter(status__in=OPEN).update(
        status=GreetingStatus.APPROVED,
        approved_by=actor,
        approved_at=timezone.now(),
        last_error="",
        updated_at=timezone.now(),
    )


def exclude(*, greetings: QuerySet[Greeting]) -> int:
    """Leave these people out; a greeting already being sent or sent is not touched."""
    return greetings.filter(
        status__in=(GreetingStatus.PROPOSED, GreetingStatus.APPROVED, GreetingStatus.FAILED)
    ).update(status=GreetingStatus.EXCLUDED, updated_at=timezone.now())


def mark_done(*, occurrence_key: str) -> int:
    """The occasion is handled: whoever is still only proposed is left out."""
    return exclude(
        greetings=Greeting.objects.filter(
            occurrence_key=occurrence_key,
            status__in=(GreetingStatus.PROPOSED, GreetingStatus.FAILED),
        )
    )


# ---- Sending ----


def sources(greeting: Greeting) -> tuple[str, str]:
    """The subject and body templates of a greeting."""
    template = greeting.template
    subject = greeting.subject or (template.subject if template else "")
    body = greeting.body_html or (template.body_html if template else "")
    return subject, body


def render(greeting: Greeting, *, actor: Actor) -> email_services.Rendered:
    """The greeting as its recipient gets it (ValidationError naming what is missing)."""
    subject, body = sources(greeting)
    contact = greeting.contact
    address = next((e.email for e in contact.email_addresses.all()), "")
    return email_services.render_for(
        subject_source=subject,
        body_source=body,
        about=Subject(contact, contact.client, address),
        actor=actor,
        at=max(greeting.send_at, timezone.now()),
    )


def claim(*, greeting_id: int, now: datetime) -> bool:
    """Take an approved greeting for sending: True only for the one caller that changed it."""
    changed = Greeting.objects.filter(pk=greeting_id, status=GreetingStatus.APPROVED).update(
        status=GreetingStatus.SENDING, claimed_at=now, updated_at=now
    )
    return changed == 1


class _LostClaim(Exception):
    """Someone else took the greeting over meanwhile: roll the email back."""


def _send_claimed(greeting: Greeting, *, claimed_at: datetime) -> None:
    subject, body = sources(greeting)
    draft = email_services.Draft(
        to=[greeting.contact_id],
        template=greeting.template,
        subject=subject,
        body_html=body,
        email_type=EmailType.GREETING,
        contact=greeting.contact,
    )
    mine = Greeting.objects.filter(
        pk=greeting.pk, status=GreetingStatus.SENDING, claimed_at=claimed_at
    )
    try:
        with transaction.atomic():
            email = email_services.email_send(draft=draft, actor=greeting.approved_by)
            if mine.update(status=GreetingStatus.SENT, email=email, updated_at=timezone.now()) != 1:
                raise _LostClaim
    except _LostClaim:
        logger.warning("Greeting %s was taken over while being sent", greeting.pk)
    except ValidationError as exc:
        problem = "; ".join(m for ms in exc.message_dict.values() for m in ms)
        mine.update(status=GreetingStatus.FAILED, last_error=problem, updated_at=timezone.now())


def release_stale(*, now: datetime) -> int:
    """Hand back greetings claimed by a worker that died before their email was stored.

    The email and the greeting's `sent` are stored in one transaction, so a greeting still
    `sending` without an email has none: it can go again without being sent twice.
    """
    return Greeting.objects.filter(
        status=GreetingStatus.SENDING, email__isnull=True, claimed_at__lt=now - STALE_CLAIM
    ).update(status=GreetingStatus.APPROVED, claimed_at=None, updated_at=now)


def due(*, now: datetime, ids: Iterable[int] | None = None) -> QuerySet[Greeting]:
    found = Greeting.objects.filter(
        status=GreetingStatus.APPROVED,
        send_at__lte=now,
        contact__deleted_at__isnull=True,
        contact__client__deleted_at__isnull=True,
    )
    return found if ids is None else found.filter(pk__in=list(ids))


def _no_longer_planned(found: list[Greeting]) -> dict[int, str]:
    """{greeting id: why} for approved greetings their occasion no longer calls for: it
    moved or was removed (an event's date changed, a birthday was corrected), or no longer
    greets that contact (its greeting turned off, the client no longer active …)."""
    occasions = {
        o.key: o for day in {g.occasion_date for g in found} for o in queries.occurrences(day, day)
    }
    planner = Planner(occasions.values())
    planned: dict[str, set[int]] = {}
    why = {}
    for greeting in found:
        occurrence = occasions.get(greeting.occurrence_key)
        if occurrence is None or occurrence.date != greeting.occasion_date:
            why[greeting.pk] = (
                f"Not sent: “{greeting.occasion}” is no longer on the calendar for "
                f"{greeting.occasion_date:%d %b %Y}."
            )
            continue
        if greeting.occurrence_key not in planned:
            plan = planner.plan_for(occurrence)
            planned[greeting.occurrence_key] = {c.pk for c in plan.contacts} if plan else set()
        if greeting.contact_id not in planned[greeting.occurrence_key]:
            why[greeting.pk] = (
                f"Not sent: “{greeting.occasion}” no longer calls for a greeting to "
                f"{greeting.contact}."
            )
    return why


def send_due(*, now: datetime | None = None, ids: Iterable[int] | None = None) -> list[int]:
    """Create the emails of the approved greetings whose 09:00 has come; returns their ids."""
    now = now or timezone.now()
    release_stale(now=now)
    late = due(now=now, ids=ids).filter(send_at__lt=now - LATEST_AFTER_SEND_AT)
    late.update(
        status=GreetingStatus.FAILED,
        last_error="The day was over before it could be sent.",
        updated_at=now,
    )
    batch = list(due(now=now, ids=ids).select_related("contact__client")[:BATCH])
    changed = _no_longer_planned(batch)
    for greeting_id, why in changed.items():
        Greeting.objects.filter(pk=greeting_id, status=GreetingStatus.APPROVED).update(
            status=GreetingStatus.FAILED, last_error=why, updated_at=now
        )
    sent = []
    for greeting_id in [g.pk for g in batch if g.pk not in changed]:
        if not claim(greeting_id=greeting_id, now=now):
            continue
        greeting = (
            Greeting.objects.select_related("contact__client", "template", "approved_by")
            .filter(pk=greeting_id)
            .first()
        )
        if greeting is None:
            continue
        _send_claimed(greeting, claimed_at=now)
        sent.append(greeting_id)
    return sent


# ---- Reads for the pages and the API ----


def visible() -> QuerySet[Greeting]:
    """Greetings of contacts and clients not in the trash."""
    return Greeting.objects.filter(
        contact__deleted_at__isnull=True, contact__client__deleted_at__isnull=True
    )


@dataclass
class Occasion:
    key: str
    title: str
    day: date
    greetings: list[Greeting]

    @property
    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for greeting in self.greetings:
            found[greeting.status] = found.get(greeting.status, 0) + 1
        return found

    @property
    def has_open(self) -> bool:
        return any(
            g.status in (GreetingStatus.PROPOSED, GreetingStatus.FAILED) for g in self.greetings
        )


def upcoming_occasions(*, today: date, days_back: int = 1) -> list[Occasion]:
    """Occasions from yesterday on with their greetings, soonest first."""
    rows = (
        visible()
        .filter(occasion_date__gte=today - timedelta(days=days_back))
        .select_related("contact__client", "template", "email")
        .order_by("occasion_date", "occurrence_key", "contact__first_name", "id")
    )
    occasions: dict[str, Occasion] = {}
    for greeting in rows:
        occasion = occasions.setdefault(
            greeting.occurrence_key,
            Occasion(greeting.occurrence_key, greeting.occasion, greeting.occasion_date, []),
        )
        occasion.greetings.append(greeting)
    return list(occasions.values())


def for_occurrence(key: str, contact_ids: Iterable[int] | None = None) -> QuerySet[Greeting]:
    found = Greeting.objects.filter(occurrence_key=key)
    if contact_ids is not None:
        found = found.filter(contact_id__in=list(contact_ids))
    return found


def approve_and_send(
    *, key: str, contact_ids: list[int] | None, actor: Actor, now: datetime | None = None
) -> list[Greeting]:
    """Approve an occasion's greetings (all, or these contacts') and send those due now.

    Prepares the occasion first when it was not yet. Raises ValidationError when the key
    names no occasion with greetings, or a contact is not among its recipients.
    """
    now = now or timezone.now()
    if not Greeting.objects.filter(occurrence_key=key).exists():
        occurrence = find_occurrence(key)
        if occurrence is None:
            raise ValidationError({"occurrence_key": [f"There is no occasion “{key}”."]})
        prepare_occurrences([occurrence])
    chosen = for_occurrence(key, contact_ids)
    if contact_ids is not None:
        missing = set(contact_ids) - set(chosen.values_list("contact_id", flat=True))
        if missing:
            names = ", ".join(str(pk) for pk in sorted(missing))
            raise ValidationError({"contacts": [f"Not greeted for this occasion: {names}."]})
    if not chosen.exists():
        raise ValidationError({"occurrence_key": ["This occasion has no one to greet."]})
    approve(greetings=chosen, actor=actor)
    ids = list(chosen.values_list("pk", flat=True))
    send_due(now=now, ids=ids)
    return list(
        Greeting.objects.filter(pk__in=ids)
        .select_related("contact", "email")
        .order_by("send_at", "id")
    )
