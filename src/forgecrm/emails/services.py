"""Writes for emails: templates, composing and queueing emails, recording opens and clicks.

Every email is stored, rendered and given its Message-ID before anything is sent; the
worker (emails.delivery, through emails.tasks) sends what is queued.
"""

import functools
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.db.models.functions import Coalesce, Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from forgecrm.clients.models import Client, ContactEmail, ContactPerson, Project
from forgecrm.core.audit import acting_as
from forgecrm.core.bulk import insert_many
from forgecrm.core.files import store_upload
from forgecrm.emails import defaults, rendering, sanitize, tasks, tracking
from forgecrm.emails.forms import clean_body_source, clean_subject_source
from forgecrm.emails.models import (
    UNSENT_RECHECK,
    Email,
    EmailAttachment,
    EmailEvent,
    EmailLink,
    EmailRecipient,
    EmailStatus,
    EmailTemplate,
    EmailType,
    EventKind,
    RecipientKind,
    Suppression,
    SuppressionReason,
)
from forgecrm.emails.queries import (
    Subject,
    active_suppressions,
    parsed_address,
    recipient_zone,
    sender_details,
    template_values,
    unsubscribe_target,
    user_zone,
)
from forgecrm.emails.signals import address_suppressed
from forgecrm.sales.models import Deal

Actor = User | None

MAX_RECIPIENTS = 50
UNSUBSCRIBE_VARIABLE = "unsubscribe_url"
RECIPIENT = "recipient"

# ---- Templates -----------------------------------------------------------------------------


@transaction.atomic
def template_create(*, fields: dict[str, Any], actor: Actor) -> EmailTemplate:
    """Create a template from fields cleaned by forms.EmailTemplateForm."""
    with acting_as(actor):
        return EmailTemplate.objects.create(**fields)


@transaction.atomic
def template_update(*, template: EmailTemplate, fields: dict[str, Any], actor: Actor) -> None:
    with acting_as(actor):
        for name, value in fields.items():
            setattr(template, name, value)
        template.save()


@transaction.atomic
def template_delete(*, template: EmailTemplate, actor: Actor) -> None:
    """Delete a template; emails written from it keep their text and lose only the link."""
    with acting_as(actor):
        template.delete()


@transaction.atomic
def ensure_default_templates() -> int:
    """Create the ready-made templates that are missing (by name); returns how many."""
    existing = set(EmailTemplate.objects.values_list("name", flat=True))
    missing = [t for t in defaults.default_templates() if t["name"] not in existing]
    for template in missing:
        EmailTemplate.objects.create(**template)
    return len(missing)


# ---- Composing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Draft:
    """An email as the composer or the API asks for it.

    Recipients are contact ids or typed addresses ("a@b.com" or "Name <a@b.com>"). Subject
    and body default to the template's. Variables are filled in for `contact`, else for the
    first "to" recipient who is a contact; `client` defaults to that contact's company.
    """

    to: list[int | str]
    cc: list[int | str] = field(default_factory=list)
    bcc: list[int | str] = field(default_factory=list)
    template: EmailTemplate | None = None
    subject: str = ""
    body_html: str = ""
    email_type: str = ""
    client: Client | None = None
    contact: ContactPerson | None = None
    deal: Deal | None = None
    project: Project | None = None
    read_receipt: bool = False
    follow_up_days: int | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    kind: str
    address: str
    name: str = ""
    contact: ContactPerson | None = None


def _invalid(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: [message]})


def _contacts_by_id(ids: list[int]) -> dict[int, ContactPerson]:
    contacts = (
        ContactPerson.objects.filter(pk__in=ids, client__deleted_at__isnull=True)
        .select_related("client")
        .prefetch_related("email_addresses")
    )
    return {contact.pk: contact for contact in contacts}


def _contacts_by_address(addresses: list[str]) -> dict[str, ContactPerson]:
    rows = (
        ContactEmail.objects.annotate(address=Lower("email"))
        .filter(
            address__in=[a.lower() for a in addresses],
            contact__deleted_at__isnull=True,
            contact__client__deleted_at__isnull=True,
        )
        .select_related("contact__client")
    )
    return {row.address: row.contact for row in rows}


def _typed(value: str, field_name: str) -> tuple[str, str]:
    name, address = parseaddr(value)
    try:
        validate_email(address)
    except ValidationError:
        raise _invalid(field_name, f"“{value}” is not a valid e-mail address.") from None
    return name, address


def resolve_recipients(draft: Draft) -> list[Recipient]:
    """The draft's to/cc/bcc as addresses, each once (To wins over Cc over Bcc)."""
    lists = {RecipientKind.TO: draft.to, RecipientKind.CC: draft.cc, RecipientKind.BCC: draft.bcc}
    if not draft.to:
        raise _invalid("to", "Add at least one recipient.")
    if sum(len(values) for values in lists.values()) > MAX_RECIPIENTS:
        raise _invalid("to", f"An email can have at most {MAX_RECIPIENTS} recipients.")
    ids = [v for values in lists.values() for v in values if isinstance(v, int)]
    contacts = _contacts_by_id(ids)
    typed = {
        v: _typed(v, kind) for kind, values in lists.items() for v in values if isinstance(v, str)
    }
    known = _contacts_by_address([address for _, address in typed.values()])
    recipients: dict[str, Recipient] = {}
    for kind, values in lists.items():
        for value in values:
            if isinstance(value, int):
                recipient = _contact_recipient(kind, value, contacts)
            else:
                name, address = typed[value]
                contact = known.get(address.lower())
                recipient = Recipient(
                    kind, address, name or getattr(contact, "full_name", ""), contact
                )
            recipients.setdefault(recipient.address.lower(), recipient)
    _refuse_suppressed(list(recipients.values()))
    return list(recipients.values())


def _refuse_suppressed(recipients: list[Recipient]) -> None:
    """Refuse the draft, naming each suppressed recipient, why, and how to send again."""
    found = active_suppressions(r.address for r in recipients)
    problems: dict[str, list[str]] = {}
    for recipient in recipients:
        suppression = found.get(recipient.address.lower())
        if suppression is not None:
            problems.setdefault(recipient.kind, []).append(
                suppression_problem(suppression, has_contact=recipient.contact is not None)
            )
    if problems:
        raise ValidationError(problems)


def suppression_problem(suppression: Suppression, *, has_contact: bool) -> str:
    """E.g. "x@y.com bounced permanently on 12 Nov 2026: 550 … — clear it on the …"."""
    where = "the contact's page" if has_contact else "the Suppressed addresses page"
    return f"{suppression.address} {suppression.why()} — clear it on {where} to send again."


def _contact_recipient(kind: str, contact_id: int, contacts: dict[int, ContactPerson]) -> Recipient:
    contact = contacts.get(contact_id)
    if contact is None:
        raise _invalid(kind, f"There is no contact with id {contact_id}.")
    addresses = list(contact.email_addresses.all())
    if not addresses:
        raise _invalid(kind, f"{contact.full_name} has no e-mail address.")
    return Recipient(kind, addresses[0].email, contact.full_name, contact)


def _about(draft: Draft, recipients: list[Recipient]) -> Subject:
    """Whom the email is about, checking that the linked records belong together."""
    first = next((r for r in recipients if r.kind == RecipientKind.TO), recipients[0])
    contact = draft.contact or next(
        (r.contact for r in recipients if r.kind == RecipientKind.TO and r.contact), None
    )
    client = draft.client or (contact.client if contact else None)
    if contact is not None and client is not None and contact.client_id != client.pk:
        raise _invalid("contact", f"{contact.full_name} does not work for {client.name}.")
    for name, linked in (("deal", draft.deal), ("project", draft.project)):
        if linked is not None and (client is None or linked.client_id != client.pk):
            raise _invalid(name, f"“{linked}” does not belong to this email's client.")
    own = next((r for r in recipients if contact and r.contact == contact), first)
    return Subject(contact, client, own.address, draft.deal, draft.project)


def _sources(draft: Draft) -> tuple[str, str]:
    """The subject and body templates to fill in, checked and sanitized."""
    template = draft.template
    subject = draft.subject or (template.subject if template else "")
    body = draft.body_html or (template.body_html if template else "")
    if not subject.strip():
        raise _invalid("subject", "Write a subject or pick a template.")
    if not body.strip():
        raise _invalid("body_html", "Write a message or pick a template.")
    sources = []
    for name, value, clean in (
        ("subject", subject, clean_subject_source),
        ("body_html", body, clean_body_source),
    ):
        try:
            sources.append(clean(value))
        except ValidationError as exc:
            raise _invalid(name, exc.messages[0]) from None
    return sources[0], sources[1]


@dataclass
class Rendered:
    subject: str
    body_html: str
    body_text: str
    links: list[str]


# Previews show where {{unsubscribe_url}} goes; this token finds no email (404).
PREVIEW_TOKEN = "preview-" + "0" * 24


def render_for(
    *,
    subject_source: str,
    body_source: str,
    about: Subject,
    actor: Actor,
    at: datetime,
    token: str = PREVIEW_TOKEN,
) -> Rendered:
    """Fill both templates in for one recipient (ValidationError naming what is missing).

    `token` is the email's tracking token, for {{unsubscribe_url}}.
    """
    used = rendering.check(subject_source + "\n" + body_source)
    values = template_values(
        used=tuple(name for name in used if name != UNSUBSCRIBE_VARIABLE),
        subject=about,
        sender=sender_details(actor),
        at=at,
    )
    if UNSUBSCRIBE_VARIABLE in used:
        values[UNSUBSCRIBE_VARIABLE] = tracking.unsubscribe_url(token)
    parts = {}
    for name, source, html in (
        ("subject", subject_source, False),
        ("body_html", body_source, True),
        ("body_text", sanitize.text_template(body_source), False),
    ):
        try:
            parts[name] = rendering.render(source, values, html=html, recipient=about.label())
        except rendering.TemplateProblem as problem:
            raise _invalid(name, problem.message) from None
    body_html, links = tracking.clean_collecting_links(parts["body_html"])
    return Rendered(
        subject=" ".join(parts["subject"].split())[:998],
        body_html=body_html,
        body_text=sanitize.tidy_text(parts["body_text"]),
        links=links,
    )


def preview(*, template: EmailTemplate, contact: ContactPerson, actor: Actor) -> Rendered:
    """The template as `contact` would get it now."""
    address = next((e.email for e in contact.email_addresses.all()), "")
    return render_for(
        subject_source=template.subject,
        body_source=template.body_html,
        about=Subject(contact, contact.client, address),
        actor=actor,
        at=timezone.now(),
    )


def draft_preview(*, draft: Draft, actor: Actor) -> Rendered:
    """The draft as its first recipient would get it now; nothing is stored."""
    recipients = resolve_recipients(draft)
    about = _about(draft, recipients)
    subject_source, body_source = _sources(draft)
    return render_for(
        subject_source=subject_source,
        body_source=body_source,
        about=about,
        actor=actor,
        at=timezone.now(),
    )


MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _checked_attachments(attachments: list[Attachment]) -> list[Attachment]:
    """The attachments within the size limit, with a bare file name and a sane MIME type."""
    limit = settings.EMAIL_ATTACHMENTS_MAX_BYTES
    if sum(len(a.content) for a in attachments) > limit:
        raise _invalid("attachments", f"Attachments may add up to {filesizeformat(limit)}.")
    checked = []
    for attachment in attachments:
        name = re.sub(r"[\x00-\x1f\x7f]", "", attachment.filename.replace("\\", "/"))
        name = name.rpartition("/")[2].strip()[:255]
        if not name:
            raise _invalid("attachments", "Every attachment needs a file name.")
        content_type = attachment.content_type.strip().lower()
        if not MIME_TYPE.match(content_type):
            content_type = "application/octet-stream"
        checked.append(Attachment(name, content_type, attachment.content))
    return checked


def _store_attachment(attachment: Attachment) -> str:
    return store_upload(ContentFile(attachment.content), folder="attachments")


def _sender_domain() -> str:
    return parsed_address(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


@dataclass
class _Built:
    """One email ready to be stored: the row and what hangs off it."""

    email: Email
    recipients: list[Recipient]
    links: list[str]


def _pk(instance: Model | None) -> int | None:
    return instance.pk if instance is not None else None


def _build(
    *,
    draft: Draft,
    recipients: list[Recipient],
    about: Subject,
    actor: Actor,
    rendered: Rendered,
    token: str,
) -> _Built:
    template = draft.template
    email = Email(
        message_id=make_msgid(domain=_sender_domain()),
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject=rendered.subject,
        body_html=rendered.body_html,
        body_text=rendered.body_text,
        email_type=draft.email_type or (template.template_type if template else EmailType.OTHER),
        # Ids, not instances: see core.bulk.insert_many (a batch builds thousands).
        template_id=_pk(template),
        client_id=_pk(about.client),
        contact_id=_pk(about.contact),
        deal_id=_pk(about.deal),
        project_id=_pk(about.project),
        created_by_id=_pk(actor),
        read_receipt_requested=draft.read_receipt,
        follow_up_days=draft.follow_up_days,
        tracking_token=token,
    )
    return _Built(email, recipients, rendered.links)


def _store(
    built: list[_Built], *, attachments: list[Attachment], send_at: datetime | None
) -> list[Email]:
    """Insert the emails with their recipients, links, attachments and first event."""
    now = timezone.now()
    for item in built:
        item.email.status = EmailStatus.SCHEDULED if send_at else EmailStatus.QUEUED
        item.email.scheduled_at = send_at
        item.email.next_attempt_at = send_at or now + UNSENT_RECHECK
    emails = Email.objects.bulk_create([item.email for item in built])
    insert_many(
        [
            EmailRecipient(
                email_id=item.email.pk,
                kind=r.kind,
                address=r.address,
                name=r.name[:200],
                contact_id=r.contact.pk if r.contact else None,
            )
            for item in built
            for r in item.recipients
        ]
    )
    insert_many(
        [
            EmailLink(email_id=item.email.pk, url=url, token=tracking.new_link_token())
            for item in built
            for url in item.links
        ]
    )
    stored = [(a, _store_attachment(a)) for a in attachments]
    EmailAttachment.objects.bulk_create(
        EmailAttachment(
            email=email,
            file=path,
            filename=a.filename,
            content_type=a.content_type,
            size=len(a.content),
        )
        for email in emails
        for a, path in stored
    )
    kind = EventKind.SCHEDULED if send_at else EventKind.QUEUED
    insert_many([EmailEvent(email_id=e.pk, kind=kind, occurred_at=now) for e in emails])
    return emails


def _count_use(template: EmailTemplate | None, uses: int) -> None:
    if template is not None:
        EmailTemplate.objects.filter(pk=template.pk).update(
            usage_count=F("usage_count") + uses, last_used_at=timezone.now()
        )


def _queue(emails: list[Email]) -> None:
    """Hand the emails to the worker once the transaction that stored them has committed."""
    ids = [email.pk for email in emails]
    transaction.on_commit(functools.partial(tasks.send_emails, ids))


def _create(*, draft: Draft, actor: Actor, send_at: datetime | None, zone: str = "") -> Email:
    recipients = resolve_recipients(draft)
    about = _about(draft, recipients)
    subject_source, body_source = _sources(draft)
    attachments = _checked_attachments(draft.attachments)
    if send_at is not None:
        send_at = _aware(send_at, zone=zone, about=about, actor=actor)
    token = tracking.new_email_token()
    rendered = render_for(
        subject_source=subject_source,
        body_source=body_source,
        about=about,
        actor=actor,
        at=send_at or timezone.now(),
        token=token,
    )
    built = _build(
        draft=draft,
        recipients=recipients,
        about=about,
        actor=actor,
        rendered=rendered,
        token=token,
    )
    with transaction.atomic():
        [email] = _store([built], attachments=attachments, send_at=send_at)
        _count_use(draft.template, 1)
        if send_at is None:
            _queue([email])
    return email


def email_send(*, draft: Draft, actor: Actor) -> Email:
    """Store the email and queue it for sending now."""
    return _create(draft=draft, actor=actor, send_at=None)


def _aware(send_at: datetime, *, zone: str, about: Subject, actor: Actor) -> datetime:
    """`send_at` as an instant: naive times are read in `zone`, "recipient" or the user's."""
    if timezone.is_aware(send_at):
        if zone:
            raise _invalid("timezone", "Give either a time zone or a time with an offset.")
        result = send_at
    else:
        if zone == RECIPIENT:
            tz = recipient_zone(about.contact, about.client)
        else:
            try:
                tz = zoneinfo.ZoneInfo(zone) if zone else user_zone(actor)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise _invalid("timezone", f"“{zone}” is not a time zone.") from None
        result = send_at.replace(tzinfo=tz)
    if result <= timezone.now():
        raise _invalid("send_at", "Pick a time in the future.")
    return result


def email_schedule(*, draft: Draft, actor: Actor, send_at: datetime, zone: str = "") -> Email:
    """Store the email to be sent at `send_at`.

    A time without offset is read in `zone`: an IANA name, "recipient" (the contact's own
    time zone) or, by default, the sender's. Variables such as {{date}} are filled in for
    that moment.
    """
    return _create(draft=draft, actor=actor, send_at=send_at, zone=zone)


@dataclass(frozen=True)
class Skipped:
    """A contact a batch did not write to, and why."""

    contact: ContactPerson
    address: str
    reason: str


class SentEach(list[Email]):
    """The emails a batch queued; `skipped` lists the contacts it left out (suppressed)."""

    def __init__(self, emails: list[Email], skipped: list[Skipped]) -> None:
        super().__init__(emails)
        self.skipped = skipped


def emails_send_each(*, contacts: list[ContactPerson], draft: Draft, actor: Actor) -> SentEach:
    """One personalized email per contact (its primary address), queued as one batch.

    Each email goes to its contact alone and is linked to the contact's client, so the
    draft's recipients, client, contact, deal and project are not used. A contact without
    an address or without a value for a variable refuses the whole batch, naming them; a
    contact whose address is suppressed (bounced, unsubscribed) is skipped and reported.
    Pass contacts with `client` and `email_addresses` already fetched.
    """
    subject_source, body_source = _sources(draft)
    attachments = _checked_attachments(draft.attachments)
    now = timezone.now()
    recipients = [
        _contact_recipient(RecipientKind.TO, contact.pk, {contact.pk: contact})
        for contact in contacts
    ]
    suppressed = active_suppressions(r.address for r in recipients)
    built, skipped = [], []
    for contact, recipient in zip(contacts, recipients, strict=True):
        suppression = suppressed.get(recipient.address.lower())
        if suppression is not None:
            skipped.append(Skipped(contact, recipient.address, suppression.why()))
            continue
        about = Subject(contact, contact.client, recipient.address)
        token = tracking.new_email_token()
        rendered = render_for(
            subject_source=subject_source,
            body_source=body_source,
            about=about,
            actor=actor,
            at=now,
            token=token,
        )
        built.append(
            _build(
                draft=draft,
                recipients=[recipient],
                about=about,
                actor=actor,
                rendered=rendered,
                token=token,
            )
        )
    emails: list[Email] = []
    if built:
        with transaction.atomic():
            emails = _store(built, attachments=attachments, send_at=None)
            _count_use(draft.template, len(emails))
            _queue(emails)
    return SentEach(emails, skipped)


# ---- Tracking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Who fetched a tracking URL."""

    user_agent: str
    ip: str | None


def _record_visit(
    *, email: Email, kind: str, visit: Visit, now: datetime, link: EmailLink | None = None
) -> bool:
    """Store the event; returns whether it was a person rather than a machine."""
    machine = tracking.is_machine(
        user_agent=visit.user_agent, ip=visit.ip, sent_at=email.sent_at, now=now
    )
    EmailEvent.objects.create(
        email=email,
        kind=kind,
        occurred_at=now,
        is_proxy=machine,
        link=link,
        user_agent=visit.user_agent[:500],
        ip_address=tracking.valid_ip(visit.ip),
    )
    return not machine


def _opened_by_person(*, now: datetime, count: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "first_opened_at": Coalesce("first_opened_at", now),
        "last_opened_at": now,
    }
    if count:
        changes["open_count"] = F("open_count") + 1
    return changes


def tracking_open(*, token: str, visit: Visit) -> bool:
    """Record an open of the email with this token; False if there is no such email."""
    email = Email.objects.filter(tracking_token=token).only("id", "sent_at").first()
    if email is None:
        return False
    now = timezone.now()
    with transaction.atomic():
        if _record_visit(email=email, kind=EventKind.OPENED, visit=visit, now=now):
            Email.objects.filter(pk=email.pk).update(**_opened_by_person(now=now, count=True))
    return True


def tracking_click(*, token: str, link_token: str, visit: Visit) -> str | None:
    """Record a click and return where it goes; None unless the link is one of the email's.

    A person's click also proves the email was opened, when their mail app blocked the
    pixel; it sets the first/last open times without adding an open.
    """
    link = (
        EmailLink.objects.filter(token=link_token, email__tracking_token=token)
        .select_related("email")
        .only("id", "url", "email__id", "email__sent_at")
        .first()
    )
    if link is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        if _record_visit(email=link.email, kind=EventKind.CLICKED, visit=visit, now=now, link=link):
            EmailLink.objects.filter(pk=link.pk).update(click_count=F("click_count") + 1)
            Email.objects.filter(pk=link.email.pk).update(
                click_count=F("click_count") + 1, **_opened_by_person(now=now, count=False)
            )
    return link.url


# ---- Bounces and suppressed addresses ------------------------------------------------------


def suppressed_addresses(addresses: Iterable[str]) -> set[str]:
    """Those of `addresses` (lowercased) that must not be sent to: bounced, unsubscribed …"""
    return set(active_suppressions(addresses))


@transaction.atomic
def record_bounce(
    *, address: str, permanent: bool, email: Email | None, at: datetime, detail: str
) -> None:
    """Record that mail to `address` bounced at `at` with the server's answer `detail`.

    `email` (when the bounce names it) is marked bounced, with a BOUNCED event. A permanent
    bounce suppresses the address at once; soft bounces are counted and suppress it at the
    SOFT_BOUNCE_LIMIT-th. Reading the same bounce again changes nothing: it is known by its
    email, address, time and answer (or, without an email, by the address's last event).
    A bounce from before a person last cleared the address does not suppress it again.
    """
    address = address.strip().lower()
    detail = detail.strip()
    if email is not None and not _mark_bounced(
        email=email, address=address, permanent=permanent, at=at, detail=detail
    ):
        return
    try:
        with transaction.atomic():
            _count_bounce(address=address, permanent=permanent, email=email, at=at, detail=detail)
    except IntegrityError:  # another worker suppressed the address meanwhile: count on its row
        _count_bounce(address=address, permanent=permanent, email=email, at=at, detail=detail)


def _mark_bounced(
    *, email: Email, address: str, permanent: bool, at: datetime, detail: str
) -> bool:
    """Mark `email` bounced; False if this very bounce was recorded before."""
    event_detail = f"{address}: {detail}" if detail else address
    if EmailEvent.objects.filter(
        email=email, kind=EventKind.BOUNCED, occurred_at=at, detail=event_detail
    ).exists():
        return False
    email.status = EmailStatus.BOUNCED
    email.bounced_at = min(email.bounced_at or at, at)
    email.bounce_permanent = email.bounce_permanent or permanent
    Email.objects.filter(pk=email.pk).update(
        status=email.status, bounced_at=email.bounced_at, bounce_permanent=email.bounce_permanent
    )
    EmailEvent.objects.create(
        email=email, kind=EventKind.BOUNCED, occurred_at=at, detail=event_detail
    )
    return True


def _count_bounce(
    *, address: str, permanent: bool, email: Email | None, at: datetime, detail: str
) -> None:
    if Suppression.objects.filter(address=address, cleared_at__gte=at).exists():
        return
    row = (
        Suppression.objects.select_for_update()
        .filter(address=address, cleared_at__isnull=True)
        .first()
    )
    if row is None:
        row = Suppression(
            address=address, reason=SuppressionReason.BOUNCED, first_event_at=at, last_event_at=at
        )
    elif row.reason != SuppressionReason.BOUNCED or (
        email is None and row.last_event_at == at and row.detail == detail
    ):
        return  # already suppressed for another reason, or this bounce was counted
    if permanent:
        row.bounce_permanent = True
    else:
        row.soft_bounce_count += 1
    newly_suppressed = row.suppressed_at is None and (
        permanent or row.soft_bounce_count >= settings.SOFT_BOUNCE_LIMIT
    )
    if newly_suppressed:
        row.suppressed_at = at
    row.first_event_at = min(row.first_event_at, at)
    if at >= row.last_event_at:
        row.last_event_at, row.detail = at, detail
        row.email = email or row.email
    row.save()
    if newly_suppressed:
        address_suppressed.send(sender=Suppression, address=address, at=at)


# Soft bounces older than this no longer count toward SOFT_BOUNCE_LIMIT.
SOFT_BOUNCE_MEMORY = timedelta(days=30)


def forget_stale_soft_bounces(*, now: datetime) -> int:
    """The weekly bounce cleanup: soft-bounce counts with no bounce for SOFT_BOUNCE_MEMORY
    are closed (kept as history), so old temporary failures never add up to a
    suppression. Suppressed addresses stay until a person clears them. Returns how many."""
    return Suppression.objects.filter(
        cleared_at__isnull=True,
        suppressed_at__isnull=True,
        last_event_at__lt=now - SOFT_BOUNCE_MEMORY,
    ).update(cleared_at=now, updated_at=now)


def suppression_block(*, address: str, note: str, actor: Actor) -> Suppression:
    """Stop every email to `address` by hand (audited), until someone clears it: a person
    asked not to be written to, or a bounce report the mailbox reader could not verify.

    An address already suppressed is refused, saying why it is; one whose soft bounces were
    only being counted becomes blocked.
    """
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise _invalid("address", f"“{address}” is not an email address.") from None
    note = " ".join(note.split())[:500]
    try:
        with transaction.atomic():
            return _block(address=address, note=note, actor=actor)
    except IntegrityError:  # a bounce or unsubscribe wrote its row a moment ago: look again
        with transaction.atomic():
            return _block(address=address, note=note, actor=actor)


def _block(*, address: str, note: str, actor: Actor) -> Suppression:
    row = (
        Suppression.objects.select_for_update()
        .filter(address=address, cleared_at__isnull=True)
        .first()
    )
    if row is not None and row.suppressed_at is not None:
        raise _invalid("address", f"{address} is already suppressed: it {row.why()}.")
    now = timezone.now()
    row = row or Suppression(address=address, first_event_at=now)
    row.reason = SuppressionReason.MANUAL
    row.suppressed_at = row.last_event_at = now
    who = (actor.get_full_name() or actor.get_username()) if actor else ""
    if note:
        row.detail = f"{note} ({who})" if who else note
    else:
        row.detail = f"by {who}" if who else ""
    with acting_as(actor):
        row.save()
    address_suppressed.send(sender=Suppression, address=address, at=now)
    return row


@transaction.atomic
def suppression_clear(*, suppression: Suppression, actor: Actor) -> None:
    """Let mail go to the address again (audited); the row stays as history."""
    if suppression.cleared_at is not None:
        return
    with acting_as(actor):
        suppression.cleared_at = timezone.now()
        suppression.cleared_by = actor
        suppression.save(update_fields=["cleared_at", "cleared_by", "updated_at"])


# ---- Unsubscribe ---------------------------------------------------------------------------


def unsubscribe(*, token: str, at: datetime, one_click: bool) -> Suppression | None:
    """Stop our emails to the address the email with this token was written for.

    None if no email has this token. Doing it twice changes nothing more; an address that
    was only counting soft bounces becomes unsubscribed.
    """
    target = unsubscribe_target(token)
    if target is None:
        return None
    email, address = target
    if address is None:  # a link several people got cannot tell who clicked it
        return None
    how = "one click in the mail app" if one_click else "the link"
    detail = f"Unsubscribed with {how} of “{email.subject}”"
    try:
        with transaction.atomic():
            return _suppress_unsubscribed(email=email, address=address, at=at, detail=detail)
    except IntegrityError:  # a second click raced the first: that one suppressed it
        with transaction.atomic():
            return _suppress_unsubscribed(email=email, address=address, at=at, detail=detail)


def _suppress_unsubscribed(*, email: Email, address: str, at: datetime, detail: str) -> Suppression:
    row = (
        Suppression.objects.select_for_update()
        .filter(address=address.lower(), cleared_at__isnull=True)
        .first()
    )
    if row is None or row.suppressed_at is None:
        row = row or Suppression(address=address, first_event_at=at)
        row.reason = SuppressionReason.UNSUBSCRIBED
        row.suppressed_at = row.last_event_at = at
        row.detail, row.email = detail, email
        row.save()
        address_suppressed.send(sender=Suppression, address=row.address.lower(), at=at)
    if not EmailEvent.objects.filter(email=email, kind=EventKind.UNSUBSCRIBED).exists():
        EmailEvent.objects.create(
            email=email, kind=EventKind.UNSUBSCRIBED, occurred_at=at, detail=address
        )
    return row
