"""Demo history for `manage.py seed_demo`: what a few months of using Forge CRM leave behind.

Emails of the last ~90 days (opened, clicked, some answered, one bounced), calls, meetings,
WhatsApp messages and notes, follow-ups around today, one onboarding sequence under way and
a few notifications. Rows are written by the apps' own code wherever it exists (rendering
from the ready-made templates, delivery's timeline entries and rule follow-ups, the mailbox
reader's handling of a reply, the bounce recorder, the follow-up and timeline services, the
notification producers), so they look exactly like real use.

The demo has no mailbox: the emails were never delivered. They are stored as they would be
after sending, each with a SENT event that says it is demo history.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import make_msgid
from django.db.models import F, Prefetch
from django.utils import timezone

from forgecrm.clients.models import Client, ContactEmail, ContactPerson, Project, RelationshipStatus
from forgecrm.emails import services as email_services
from forgecrm.emails import tracking
from forgecrm.emails.delivery import put_on_timeline_and_follow_up
from forgecrm.emails.models import (
    Direction,
    Email,
    EmailEvent,
    EmailLink,
    EmailRecipient,
    EmailStatus,
    EmailTemplate,
    EmailType,
    EventKind,
)
from forgecrm.emails.queries import Subject
from forgecrm.followups import services as followups
from forgecrm.followups.models import (
    Enrollment,
    FollowUpSource,
    FollowUpStatus,
    FollowUpTask,
    FollowUpType,
    Priority,
    Sequence,
    StepOutcome,
    StepRun,
)
from forgecrm.mailbox.services import mark_replied, put_on_timeline
from forgecrm.notifications import services as notifications
from forgecrm.notifications.models import Notification
from forgecrm.timeline.models import CommunicationDirection, CommunicationType
from forgecrm.timeline.services import communication_log

HISTORY_DAYS = 90
EMAIL_COUNT = 100  # and a greeting for each birthday of the period
SENT_DETAIL = "Demo history: never actually sent (the demo has no mailbox)."
# Active clients nobody has contacted for longer than any tier's cadence (45 days at most),
# so the "not contacted" card has a realistic list rather than every active client.
SILENT_CLIENTS = 6
SILENT_FOR_DAYS = 50
ONBOARDING = "New client onboarding"

# Demo email kinds: (template name, email type, needs a project, share of all emails).
EMAIL_KINDS = (
    ("Project proposal", EmailType.PROPOSAL, True, 14),
    ("Project proposal", EmailType.QUOTE, True, 8),
    ("Invoice", EmailType.INVOICE, True, 18),
    ("Friendly follow-up", EmailType.FOLLOW_UP, False, 22),
    ("Season's greetings", EmailType.GREETING, False, 10),
    ("Upselling: what could come next", EmailType.OUTREACH, False, 22),
)
# Chance that a person opens / clicks / answers an email of this type.
OPEN_SHARE: dict[str, float] = {
    EmailType.GREETING: 0.75,
    EmailType.INVOICE: 0.7,
    EmailType.OUTREACH: 0.35,
}
CLICK_SHARE = 0.25
REPLY_SHARE: dict[str, float] = {
    EmailType.PROPOSAL: 0.45,
    EmailType.QUOTE: 0.4,
    EmailType.FOLLOW_UP: 0.35,
    EmailType.GREETING: 0.3,
    EmailType.INVOICE: 0.2,
    EmailType.OUTREACH: 0.1,
}
REPLIES = (
    "Thanks, received. I will go through it with the team and come back to you this week.",
    "Looks good to us. Can we have a short call on Sunday to go over the timeline?",
    "ধন্যবাদ! We will review and confirm by Thursday.",
    "Thank you — please send the revised figures with VAT included.",
    "Received with thanks. Payment will be processed by our accounts team.",
    "Thank you so much for the kind wishes!",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0 Mobile Safari/537.36",
)
# The ready-made templates have no links; people sending proposals and outreach add one.
PORTFOLIO = '<p>Some of our recent work: <a href="https://pixelforgebd.com/work">pixelforgebd.com/work</a></p>'
WITH_PORTFOLIO = (EmailType.PROPOSAL, EmailType.QUOTE, EmailType.OUTREACH)
SIGNATURE_START = "<p>Best regards,"
BOUNCE_DETAIL = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"

# Logged interactions: (type, direction, subject, content, outcome, minutes).
LOGGED = (
    (CommunicationType.CALL, "outbound", "Call about the project timeline",
     "Walked through the milestones for the next release.", "Agreed on the dates", 20),
    (CommunicationType.CALL, "inbound", "Client called about hosting renewal",
     "Asked whether the renewal price changes next year.", "Sent the price list", 10),
    (CommunicationType.MEETING, "outbound", "Quarterly review meeting",
     "Reviewed the quarter's work, open issues and next priorities.", "Happy overall", 60),
    (CommunicationType.MEETING, "outbound", "Requirements workshop",
     "Collected requirements for the new customer portal.", "Scope agreed", 90),
    (CommunicationType.WHATSAPP, "inbound", "WhatsApp: login problem",
     "Users could not sign in after the password change; fixed the same day.", "Resolved", None),
    (CommunicationType.WHATSAPP, "outbound", "WhatsApp: shared the staging link",
     "Sent the staging link for the new design.", "Will test this week", None),
    (CommunicationType.NOTE, "outbound", "Budget approved for phase 2",
     "The board approved the phase 2 budget; expect the PO next week.", "", None),
    (CommunicationType.NOTE, "outbound", "Prefers calls after 3 pm",
     "Busy with factory visits every morning; call in the afternoon.", "", None),
)  # fmt: skip

# Follow-ups around today: (title, type, priority, when: overdue/today/upcoming/done).
FOLLOWUPS = (
    ("Send the revised quotation", FollowUpType.PROPOSAL, Priority.HIGH, "overdue"),
    ("Chase the unpaid invoice", FollowUpType.INVOICE, Priority.URGENT, "overdue"),
    ("Call back about the app crash report", FollowUpType.CALL, Priority.HIGH, "overdue"),
    ("Share the launch checklist", FollowUpType.EMAIL, Priority.MEDIUM, "overdue"),
    ("Confirm the workshop date", FollowUpType.CALL, Priority.MEDIUM, "today"),
    ("Send the design mock-ups", FollowUpType.EMAIL, Priority.HIGH, "today"),
    ("Check in on the hosting migration", FollowUpType.CALL, Priority.LOW, "today"),
    ("Demo of the new dashboard", FollowUpType.MEETING, Priority.HIGH, "upcoming"),
    ("Renewal discussion", FollowUpType.MEETING, Priority.MEDIUM, "upcoming"),
    ("Prepare the maintenance proposal", FollowUpType.PROPOSAL, Priority.MEDIUM, "upcoming"),
    ("Ask for a testimonial", FollowUpType.EMAIL, Priority.LOW, "upcoming"),
    ("Send the monthly report", FollowUpType.EMAIL, Priority.MEDIUM, "upcoming"),
    ("Collect feedback on phase 1", FollowUpType.CALL, Priority.MEDIUM, "done"),
    ("Send the signed contract", FollowUpType.EMAIL, Priority.HIGH, "done"),
    ("Introduce the support team", FollowUpType.MEETING, Priority.LOW, "done"),
)


@dataclass
class PlannedEmail:
    contact: ContactPerson
    address: str
    template: EmailTemplate
    email_type: str
    project: Project | None
    sender: User
    sent_at: datetime


class DemoHistory:
    """Writes the demo history for `clients`, emails sent by `senders` (admin first)."""

    def __init__(
        self, *, rng: random.Random, today: date, senders: list[User], clients: list[Client]
    ):
        self.rng = rng
        self.today = today
        self.now = timezone.now()
        self.admin = senders[0]
        self.senders = senders
        self.counts: Counter[str] = Counter()
        ids = [c.pk for c in clients]
        with_addresses = Prefetch(
            "contacts",
            queryset=ContactPerson.objects.prefetch_related(
                Prefetch("email_addresses", queryset=ContactEmail.objects.order_by("-is_primary"))
            ),
        )
        self.clients = list(
            Client.objects.filter(pk__in=ids)
            .prefetch_related(with_addresses, "projects")
            .order_by("pk")
        )
        active = [c for c in self.clients if c.status == RelationshipStatus.ACTIVE]
        self.silent = set(c.pk for c in self.rng.sample(active, SILENT_CLIENTS))
        talking = [c for c in active if c.pk not in self.silent]
        self.onboarded = max(talking, key=lambda c: (c.client_since, c.pk))
        self.birthdays = [
            (contact, days_ago)
            for client in self.clients
            if client.pk != self.onboarded.pk and client.status != RelationshipStatus.BLACKLISTED
            for contact in client.contacts.all()
            if (days_ago := self.days_since_birthday(contact)) is not None
        ]

    def build(self) -> Counter[str]:
        self.emails()
        self.logged()
        self.followups()
        self.onboarding()
        self.notifications()
        return self.counts

    # -- time ---------------------------------------------------------------------------

    def moment(self, days_ago: int) -> datetime:
        """A working-hours time `days_ago` days before today, never in the future."""
        day = self.today - timedelta(days=days_ago)
        at = timezone.make_aware(
            datetime.combine(day, time(self.rng.randint(9, 18), self.rng.randint(0, 59)))
        )
        return min(at, self.now - timedelta(minutes=self.rng.randint(20, 90)))

    def days_since_birthday(self, contact: ContactPerson) -> int | None:
        """How many days ago `contact` last had a birthday, if within the history."""
        if contact.birthday is None:
            return None
        for year in (self.today.year, self.today.year - 1):
            try:
                day = contact.birthday.replace(year=year)
            except ValueError:  # 29 February
                day = date(year, 3, 1)
            if day <= self.today:
                days_ago = (self.today - day).days
                return days_ago if days_ago < HISTORY_DAYS else None
        return None

    def days_ago_for(self, client: Client) -> int:
        """Silent clients last heard from us long ago; the others any time, recent more often."""
        if client.pk in self.silent:
            return self.rng.randint(SILENT_FOR_DAYS, HISTORY_DAYS)
        return min(int(self.rng.expovariate(1 / 25)), HISTORY_DAYS)

    # -- emails ---------------------------------------------------------------------------

    def emails(self) -> None:
        templates = {t.name: t for t in EmailTemplate.objects.all()}
        weights = [kind[3] for kind in EMAIL_KINDS]
        planned = []
        for _ in range(EMAIL_COUNT):
            name, email_type, needs_project, _share = self.rng.choices(EMAIL_KINDS, weights)[0]
            planned.append(self.plan_email(templates[name], email_type, needs_project))
        planned.extend(self.birthday_greetings(templates["Greeting: Birthday"]))
        planned.sort(key=lambda p: p.sent_at)
        sent = self.send(planned)
        self.opens_and_clicks(sent)
        self.replies(sent)
        self.bounce(sent)

    def plan_email(
        self, template: EmailTemplate, email_type: str, needs_project: bool
    ) -> PlannedEmail:
        candidates = [
            c
            for c in self.clients
            if c.pk != self.onboarded.pk
            and c.status != RelationshipStatus.BLACKLISTED
            and (c.projects.all() or not needs_project)
        ]
        client = self.rng.choice(candidates)
        contact = self.rng.choice(list(client.contacts.all()))
        return PlannedEmail(
            contact=contact,
            address=contact.email_addresses.all()[0].email,
            template=template,
            email_type=email_type,
            project=self.rng.choice(list(client.projects.all())) if needs_project else None,
            sender=self.rng.choice(self.senders),
            sent_at=self.moment(self.days_ago_for(client)),
        )

    def birthday_greetings(self, template: EmailTemplate) -> list[PlannedEmail]:
        """Wishes sent on the day of each birthday of the last months."""
        return [
            PlannedEmail(
                contact=contact,
                address=contact.email_addresses.all()[0].email,
                template=template,
                email_type=EmailType.GREETING,
                project=None,
                sender=self.rng.choice(self.senders),
                sent_at=self.moment(days_ago),
            )
            for contact, days_ago in self.birthdays
            if contact.client.pk not in self.silent or days_ago >= SILENT_FOR_DAYS
        ]

    def send(self, planned: list[PlannedEmail]) -> list[Email]:
        """Store the emails as delivery leaves them once sent, on the timeline with their
        rule follow-ups (delivery's own code)."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
        emails: list[Email] = []
        recipients: list[EmailRecipient] = []
        links: list[EmailLink] = []
        for plan in planned:
            token = tracking.new_email_token()
            body = plan.template.body_html
            if plan.email_type in WITH_PORTFOLIO:
                body = body.replace(SIGNATURE_START, PORTFOLIO + SIGNATURE_START, 1)
            rendered = email_services.render_for(
                subject_source=plan.template.subject,
                body_source=body,
                about=Subject(
                    plan.contact, plan.contact.client, plan.address, project=plan.project
                ),
                actor=plan.sender,
                at=plan.sent_at,
                token=token,
            )
            email = Email(
                message_id=make_msgid(idstring="demo", domain=domain),
                from_email=settings.DEFAULT_FROM_EMAIL,
                subject=rendered.subject,
                body_html=rendered.body_html,
                body_text=rendered.body_text,
                email_type=plan.email_type,
                template=plan.template,
                client=plan.contact.client,
                contact=plan.contact,
                project=plan.project,
                created_by=plan.sender,
                tracking_token=token,
                status=EmailStatus.SENT,
                sent_at=plan.sent_at,
                attempts=1,
                created_at=plan.sent_at - timedelta(seconds=5),
            )
            emails.append(email)
            recipients.append(
                EmailRecipient(
                    email=email,
                    address=plan.address,
                    name=plan.contact.full_name[:200],
                    contact=plan.contact,
                )
            )
            links.extend(
                EmailLink(email=email, url=url, token=tracking.new_link_token())
                for url in rendered.links
            )
        Email.objects.bulk_create(emails)
        EmailRecipient.objects.bulk_create(recipients)
        EmailLink.objects.bulk_create(links)
        EmailEvent.objects.bulk_create(
            event
            for plan, e in zip(planned, emails, strict=True)
            for event in (
                EmailEvent(email=e, kind=EventKind.QUEUED, occurred_at=e.created_at),
                EmailEvent(
                    email=e, kind=EventKind.SENT, occurred_at=plan.sent_at, detail=SENT_DETAIL
                ),
            )
        )
        for template, uses in Counter(plan.template for plan in planned).items():
            EmailTemplate.objects.filter(pk=template.pk).update(
                usage_count=F("usage_count") + uses, last_used_at=self.now
            )
        put_on_timeline_and_follow_up(emails)
        self.counts["emails"] += len(emails)
        return emails

    def opens_and_clicks(self, emails: list[Email]) -> None:
        links: dict[int, list[EmailLink]] = {}
        for link in EmailLink.objects.filter(email__in=emails):
            links.setdefault(link.email_id, []).append(link)
        events, changed, clicked = [], [], []
        for email in emails:
            assert email.sent_at is not None
            if self.rng.random() < 0.3:  # Apple Mail Privacy Protection fetches every pixel
                events.append(self.visit(email, EventKind.OPENED, minutes=1, proxy=True))
            if self.rng.random() > OPEN_SHARE.get(email.email_type, 0.6):
                continue
            opens = [self.visit(email, EventKind.OPENED) for _ in range(self.rng.randint(1, 3))]
            opens = [e for e in opens if e.occurred_at < self.now]
            if not opens:
                continue
            events.extend(opens)
            times = sorted(e.occurred_at for e in opens)
            email.open_count = len(opens)
            email.first_opened_at, email.last_opened_at = times[0], times[-1]
            changed.append(email)
            if links.get(email.pk) and self.rng.random() < CLICK_SHARE:
                link = self.rng.choice(links[email.pk])
                click = self.visit(email, EventKind.CLICKED, after=times[0])
                if click.occurred_at < self.now:
                    click.link = link
                    events.append(click)
                    link.click_count += 1
                    email.click_count += 1
                    clicked.append(link)
        EmailEvent.objects.bulk_create(events)
        Email.objects.bulk_update(
            changed, ["open_count", "first_opened_at", "last_opened_at", "click_count"]
        )
        EmailLink.objects.bulk_update(clicked, ["click_count"])

    def visit(
        self,
        email: Email,
        kind: str,
        *,
        minutes: int | None = None,
        proxy: bool = False,
        after: datetime | None = None,
    ) -> EmailEvent:
        start = after or email.sent_at
        assert start is not None
        delay = minutes if minutes is not None else int(self.rng.expovariate(1 / 300)) + 3
        return EmailEvent(
            email=email,
            kind=kind,
            occurred_at=start + timedelta(minutes=delay),
            is_proxy=proxy,
            user_agent="Mozilla/5.0" if proxy else self.rng.choice(USER_AGENTS),
            ip_address="17.58.0.10" if proxy else f"103.{self.rng.randint(4, 250)}.12.7",
        )

    def replies(self, emails: list[Email]) -> None:
        """Answers as the mailbox reader files them: an inbound email on the thread and its
        timeline entry, then the original marked replied (which completes rule follow-ups)."""
        for original in emails:
            assert original.sent_at is not None and original.contact is not None
            if self.rng.random() > REPLY_SHARE.get(original.email_type, 0.2):
                continue
            at = original.sent_at + timedelta(minutes=int(self.rng.expovariate(1 / 900)) + 15)
            if at > self.now:
                continue
            contact = original.contact
            address = contact.email_addresses.all()[0].email
            reply = Email.objects.create(
                direction=Direction.INBOUND,
                status=EmailStatus.RECEIVED,
                message_id=make_msgid(domain=address.rpartition("@")[2]),
                in_reply_to=original.message_id,
                references=original.message_id,
                from_email=str(Address(display_name=contact.full_name, addr_spec=address)),
                subject=f"Re: {original.subject}",
                body_text=self.rng.choice(REPLIES),
                client_id=original.client_id,
                contact=contact,
                sent_at=at,
                email_type=original.email_type,
                created_at=at,
            )
            EmailRecipient.objects.create(email=reply, address=parseaddr(original.from_email)[1])
            put_on_timeline(reply, direction=CommunicationDirection.INBOUND)
            mark_replied(original, at=at)
            self.counts["replies"] += 1

    def bounce(self, emails: list[Email]) -> None:
        """One address that no longer exists: the email bounced, the address is suppressed."""
        email = next(e for e in reversed(emails) if e.replied_at is None and not e.open_count)
        assert email.sent_at is not None
        address = email.recipients.get().address
        email_services.record_bounce(
            address=address,
            permanent=True,
            email=email,
            at=email.sent_at + timedelta(minutes=2),
            detail=f"{BOUNCE_DETAIL} <{address}>",
        )
        self.counts["bounced"] += 1

    # -- timeline -------------------------------------------------------------------------

    def logged(self) -> None:
        """Calls, meetings, WhatsApp and notes, through the timeline's own service."""
        for client in self.clients:
            if client.status in (RelationshipStatus.BLACKLISTED, RelationshipStatus.FORMER):
                continue
            count = self.rng.randint(2, 5) if client.status == RelationshipStatus.ACTIVE else 1
            for index in range(count):
                kind, direction, subject, content, outcome, minutes = self.rng.choice(LOGGED)
                days_ago = self.days_ago_for(client)
                if index == 0 and client.pk not in self.silent:
                    days_ago = self.rng.randint(0, 12)  # within even a platinum cadence
                fields = {
                    "kind": kind,
                    "direction": direction,
                    "subject": subject,
                    "content": content,
                    "outcome": outcome,
                    "occurred_at": self.moment(days_ago),
                    "duration_minutes": minutes,
                    "contact": self.rng.choice(list(client.contacts.all())),
                }
                if kind == CommunicationType.MEETING:
                    fields["location"] = client.city or "Online"
                communication_log(client=client, fields=fields, actor=self.rng.choice(self.senders))
                self.counts["logged"] += 1

    # -- follow-ups -----------------------------------------------------------------------

    def followups(self) -> None:
        """Follow-ups for both users around today, and old automatic ones done, as people do."""
        talking = [c for c in self.clients if c.pk not in self.silent and c.status in (
            RelationshipStatus.ACTIVE, RelationshipStatus.PROSPECT)]  # fmt: skip
        end_of_today = max(
            timezone.make_aware(datetime.combine(self.today, time(23, 30))),
            self.now + timedelta(minutes=20),
        )
        for index, (title, task_type, priority, when) in enumerate(FOLLOWUPS):
            client = self.rng.choice(talking)
            due = {
                "overdue": self.now - timedelta(days=self.rng.randint(1, 6), hours=2),
                "today": self.now + (end_of_today - self.now) * self.rng.uniform(0.2, 0.9),
                "upcoming": self.now + timedelta(days=self.rng.randint(1, 7)),
                "done": self.now - timedelta(days=self.rng.randint(2, 20)),
            }[when]
            fields = {
                "client": client,
                "contact": self.rng.choice(list(client.contacts.all())),
                "title": title,
                "task_type": task_type,
                "priority": priority,
                "due_at": due,
                "assignee": self.senders[index % len(self.senders)],
            }
            if index == 0:  # went overdue a few hours ago: its notification is fresh
                fields.update(due_at=self.now - timedelta(hours=3), assignee=self.admin)
            if index == 1:  # overdue for two days; its notification was read
                fields.update(due_at=self.now - timedelta(days=2, hours=3), assignee=self.admin)
            if index == 4:  # reminder time has come
                fields.update(remind_before=due - self.now + timedelta(minutes=30))
                fields["assignee"] = self.admin
            task = followups.followup_create(fields=fields, actor=self.admin)
            if when == "done":
                followups.followup_complete(
                    task=task, actor=task.assignee, at=due + timedelta(hours=2)
                )
            self.counts["followups"] += 1
        old_automatic = FollowUpTask.objects.filter(
            source=FollowUpSource.RULE,
            status=FollowUpStatus.PENDING,
            due_at__lt=self.now - timedelta(days=10),
        ).select_related("assignee")
        for task in old_automatic:
            at = task.due_at + timedelta(hours=self.rng.randint(1, 48))
            followups.followup_complete(task=task, actor=task.assignee, at=at)

    def onboarding(self) -> None:
        """The newest client's contact in the onboarding sequence, its day-1 welcome sent."""
        sequence = Sequence.objects.get(name=ONBOARDING)
        contact = next(c for c in self.onboarded.contacts.all() if c.email_addresses.all())
        enrolled_at = self.now - timedelta(days=2, hours=3)
        [enrollment] = followups.enroll(
            sequence=sequence, contacts=[contact], actor=self.admin, at=enrolled_at
        ).enrollments
        first, second = list(sequence.steps.all())[:2]
        assert first.template is not None
        ran_at = enrolled_at + timedelta(days=first.days)
        [email] = self.send(
            [
                PlannedEmail(
                    contact=contact,
                    address=contact.email_addresses.all()[0].email,
                    template=first.template,
                    email_type=first.template.template_type,
                    project=None,
                    sender=self.admin,
                    sent_at=ran_at,
                )
            ]
        )
        StepRun.objects.create(
            enrollment=enrollment,
            step=first,
            step_label=str(first)[:300],
            ran_at=ran_at,
            outcome=StepOutcome.SENT,
            email=email,
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(
            next_step=second, next_step_at=enrollment.anchor_at + timedelta(days=second.days)
        )
        self.counts["enrollments"] += 1

    # -- notifications --------------------------------------------------------------------

    def notifications(self) -> None:
        """The worker's producers, as they ran two days ago and now; the old one read."""
        two_days_ago = self.now - timedelta(days=2)
        notifications.notify_overdue(now=two_days_ago)
        for notification in Notification.objects.filter(user=self.admin):
            notifications.mark_read(notification=notification, at=two_days_ago + timedelta(hours=1))
        notifications.notify_reminders(now=self.now)
        notifications.notify_overdue(now=self.now)
        self.counts["notifications"] = Notification.objects.filter(user=self.admin).count()
