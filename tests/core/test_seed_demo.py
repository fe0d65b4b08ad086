"""`manage.py seed_demo`: the demo admin, the demo data, and running it again."""

import io
import re
from datetime import datetime, time, timedelta

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from forgecrm.accounts.roles import ADMIN, MEMBER
from forgecrm.clients.models import (
    Client,
    ClientPhone,
    ContactPerson,
    ContactPhone,
    Project,
    Subscription,
)
from forgecrm.emails.models import Direction, Email, EmailEvent, EmailStatus, EventKind, Suppression
from forgecrm.followups.models import (
    Enrollment,
    FollowUpStatus,
    FollowUpTask,
    StepOutcome,
    StepRun,
)
from forgecrm.notifications.models import Notification, NotificationKind
from forgecrm.notifications.queries import silent_clients
from forgecrm.sales.models import Deal, Lead
from forgecrm.timeline.models import Communication, CommunicationType

PASSWORD_LINE = re.compile(r"Password:\s+(\S+)")
BENGALI = re.compile(r"[\u0980-\u09FF]")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def first_output(db, debug) -> str:
    return seed()


def test_creates_admin_whose_printed_password_signs_in(first_output):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.groups.filter(name=ADMIN).exists()
    password = PASSWORD_LINE.search(first_output)[1]
    response = HttpClient().post(
        reverse("accounts:login"), {"username": "admin", "password": password}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user == admin


def test_demo_data_is_varied_and_bilingual(first_output):
    assert 45 <= Client.objects.count() <= 55
    assert 140 <= ContactPerson.objects.count() <= 160
    names = [f"{c.first_name} {c.last_name}" for c in ContactPerson.objects.all()]
    assert any(BENGALI.search(n) for n in names)
    assert any(re.fullmatch(r"[A-Za-z' .-]+", n) for n in names)
    assert any(BENGALI.search(name) for name in Client.objects.values_list("name", flat=True))
    statuses = set(Client.objects.values_list("status", flat=True))
    assert statuses == {"prospect", "active", "inactive", "former", "blacklisted"}
    timezones = set(Client.objects.values_list("timezone", flat=True))
    assert {"Asia/Dhaka", "America/New_York", "Europe/London"} <= timezones
    assert len(set(Client.objects.values_list("industry", flat=True))) >= 8
    assert Project.objects.exists() and Subscription.objects.exists()
    assert Deal.objects.exists() and Lead.objects.exists()


def test_every_contact_has_a_role_email_and_phone(first_output):
    contacts = ContactPerson.objects.prefetch_related("email_addresses", "phones")
    for contact in contacts:
        assert contact.role and contact.job_title
        assert 1 <= len(contact.email_addresses.all()) <= 2
        assert 1 <= len(contact.phones.all()) <= 3
    assert contacts.filter(birthday__isnull=False).exists()


def test_all_phones_are_valid_e164(first_output):
    numbers = [
        *ContactPhone.objects.values_list("number", flat=True),
        *ClientPhone.objects.values_list("number", flat=True),
    ]
    assert numbers
    for number in numbers:
        assert re.fullmatch(r"\+[1-9]\d{7,14}", number.as_e164), number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.as_e164)), number


def test_search_column_is_filled_by_the_services(first_output):
    contact = ContactPerson.objects.prefetch_related("email_addresses").first()
    email = contact.email_addresses.all()[0].email
    assert email in contact.search_text
    assert email in contact.client.search_text


HISTORY_MODELS = (
    Email,
    EmailEvent,
    Suppression,
    Communication,
    FollowUpTask,
    Enrollment,
    StepRun,
    Notification,
)


def history_counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in HISTORY_MODELS)


def test_running_again_changes_nothing(first_output):
    counts = (Client.all_objects.count(), ContactPerson.all_objects.count(), Deal.objects.count())
    history = history_counts()
    password_hash = get_user_model().objects.get(username="admin").password

    second_output = seed()

    assert "already exists" in second_output
    assert "changepassword admin" in second_output
    assert not PASSWORD_LINE.search(second_output)
    assert "skipped" in second_output
    assert (
        Client.all_objects.count(),
        ContactPerson.all_objects.count(),
        Deal.objects.count(),
    ) == counts
    assert get_user_model().objects.get(username="admin").password == password_hash
    assert history_counts() == history
    assert get_user_model().objects.filter(username="nusrat").count() == 1


def test_refuses_to_run_without_debug(db):
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not get_user_model().objects.filter(username="admin").exists()


# ---- Demo history ---------------------------------------------------------------------------


@pytest.fixture
def admin(first_output):
    return get_user_model().objects.get(username="admin")


def signed_in(user) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


def test_member_cannot_sign_in_until_given_a_password(first_output):
    member = get_user_model().objects.get(username="nusrat")
    assert member.get_full_name() == "Nusrat Jahan"
    assert not member.has_usable_password()
    assert member.groups.filter(name=MEMBER).exists()
    assert "Nusrat Jahan" in first_output and "unusable password" in first_output


def test_summary_says_the_history_was_never_sent(first_output):
    assert "demo history (never actually sent)" in first_output.lower()


def test_emails_of_the_last_months_look_sent_opened_and_answered(first_output, admin):
    sent = Email.objects.filter(direction=Direction.OUTBOUND)
    assert sent.count() >= 100
    assert set(sent.values_list("email_type", flat=True)) >= {
        "proposal", "quote", "invoice", "follow-up", "greeting", "outreach",
    }  # fmt: skip
    assert set(sent.values_list("created_by__username", flat=True)) == {"admin", "nusrat"}
    oldest = sent.order_by("sent_at").first().sent_at
    assert timezone.now() - timedelta(days=91) < oldest < timezone.now() - timedelta(days=60)
    assert not sent.filter(sent_at__gt=timezone.now()).exists()
    assert "{{" not in "".join(sent.values_list("body_html", flat=True))
    for email in sent.exclude(status=EmailStatus.BOUNCED):
        assert email.status == EmailStatus.SENT
        sent_event = email.events.get(kind=EventKind.SENT)
        assert "never actually sent" in sent_event.detail
        assert email.communication.kind == CommunicationType.EMAIL  # on the client's timeline
    person_opens = EmailEvent.objects.filter(kind=EventKind.OPENED, is_proxy=False)
    opened_share = sent.filter(open_count__gt=0).count() / sent.count()
    assert 0.4 < opened_share < 0.8
    assert person_opens.exists() and EmailEvent.objects.filter(is_proxy=True).exists()
    assert EmailEvent.objects.filter(kind=EventKind.CLICKED, link__isnull=False).exists()
    assert sent.filter(click_count__gt=0).count() < sent.filter(open_count__gt=0).count()


def test_some_emails_were_answered_on_their_thread(first_output):
    replied = Email.objects.filter(replied_at__isnull=False)
    assert 10 <= replied.count() <= 50
    for original in replied:
        reply = Email.objects.get(in_reply_to=original.message_id)
        assert reply.direction == Direction.INBOUND and reply.status == EmailStatus.RECEIVED
        assert reply.sent_at == original.replied_at > original.sent_at
        assert reply.communication.direction == "inbound"
        assert original.events.filter(kind=EventKind.REPLIED).exists()


def test_one_address_bounced_and_is_suppressed(first_output):
    bounced = Email.objects.get(status=EmailStatus.BOUNCED)
    suppression = Suppression.objects.get()
    assert suppression.is_active and suppression.bounce_permanent
    assert suppression.address == bounced.recipients.get().address
    assert suppression.email == bounced


def test_timeline_has_calls_meetings_whatsapp_and_notes_and_some_silent_clients(first_output):
    kinds = set(Communication.objects.values_list("kind", flat=True))
    assert {"email", "call", "meeting", "whatsapp", "note"} <= kinds
    active = Client.objects.filter(status="active").count()
    assert 3 <= silent_clients().count() <= active // 2


def test_followups_around_today_for_both_people(first_output, admin):
    now = timezone.now()
    open_tasks = FollowUpTask.objects.filter(status=FollowUpStatus.PENDING)
    assert open_tasks.filter(due_at__lt=now).exists()
    assert open_tasks.filter(due_at__gte=now, due_at__lt=local_midnight()).exists()
    assert open_tasks.filter(due_at__gt=now + timedelta(days=1)).exists()
    assert FollowUpTask.objects.filter(status=FollowUpStatus.COMPLETED).exists()
    assignees = set(open_tasks.values_list("assignee__username", flat=True))
    assert {"admin", "nusrat"} <= assignees


def test_one_contact_is_in_the_onboarding_sequence_with_its_first_step_done(first_output):
    enrollment = Enrollment.objects.get()
    assert enrollment.sequence.name == "New client onboarding"
    assert enrollment.status == "active"
    run = StepRun.objects.get(enrollment=enrollment)
    assert run.outcome == StepOutcome.SENT and run.email.contact == enrollment.contact
    assert enrollment.next_step.days == 3 and enrollment.next_step_at > timezone.now()


def test_admin_has_unread_reminder_and_overdue_and_a_read_notification(admin):
    mine = Notification.objects.filter(user=admin)
    unread = set(mine.filter(read_at__isnull=True).values_list("kind", flat=True))
    assert {NotificationKind.REMINDER, NotificationKind.OVERDUE} <= unread
    assert mine.filter(read_at__isnull=False).exists()


def section(html: str, key: str) -> str:
    return re.search(rf'id="followups-{key}".*?</section>', html, re.S)[0]


def test_followup_dashboard_shows_the_seeded_followups(admin):
    overdue = FollowUpTask.objects.filter(
        status=FollowUpStatus.PENDING, due_at__lt=timezone.now()
    ).first()
    response = signed_in(admin).get(reverse("followups:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(overdue.title) in section(html, "overdue")
    assert section(html, "today") and section(html, "upcoming")


def test_email_analytics_show_the_history(admin):
    response = signed_in(admin).get(reverse("emails:analytics"))
    assert response.status_code == 200
    sent = Email.objects.filter(direction=Direction.OUTBOUND).count()
    assert re.search(rf">\s*{sent}\s*<", response.content.decode())
    busiest = (  # the by-client table lists the most emails first
        Client.objects.annotate(sent=Count("emails", filter=Q(emails__direction="outbound")))
        .order_by("-sent")
        .first()
    )
    assert escape(busiest.name) in response.content.decode()


def test_client_page_shows_its_latest_email_and_call_on_the_timeline(admin):
    client = Client.objects.filter(
        communications__kind=CommunicationType.CALL, emails__direction=Direction.OUTBOUND
    ).first()
    call = client.communications.filter(kind=CommunicationType.CALL).first()  # newest first
    email = client.emails.filter(direction=Direction.OUTBOUND).order_by("-sent_at").first()
    response = signed_in(admin).get(reverse("clients:detail", args=[client.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(call.subject) in html
    assert escape(email.subject) in html


def queries_of(browser: HttpClient, url: str) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return captured.captured_queries


def page_urls(client_pk: int) -> list[str]:
    return [
        reverse("followups:dashboard"),
        reverse("emails:analytics"),
        reverse("emails:list"),
        reverse("clients:detail", args=[client_pk]),
        reverse("core:dashboard"),
    ]


def local_midnight() -> datetime:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time()))


def one_followup_per_section() -> list[int]:
    now = timezone.now()
    open_tasks = FollowUpTask.objects.filter(status=FollowUpStatus.PENDING)
    return [
        open_tasks.filter(due_at__lt=now).first().pk,
        open_tasks.filter(due_at__gte=now, due_at__lt=local_midnight()).first().pk,
        open_tasks.filter(due_at__gt=now + timedelta(days=2)).first().pk,
        FollowUpTask.objects.filter(status=FollowUpStatus.COMPLETED).first().pk,
    ]


def test_pages_take_as_many_queries_with_the_whole_history_as_with_a_sliver(admin):
    """The demo's hundreds of rows cost no query per row (no N+1) on the pages it fills."""
    client = Client.objects.get(pk=Communication.objects.values("client").first()["client"])
    browser = signed_in(admin)
    urls = page_urls(client.pk)
    for url in urls:  # warm the caches (session, content types) once
        assert browser.get(url).status_code == 200
    whole = {url: len(queries_of(browser, url)) for url in urls}
    # A sliver: one client's emails and timeline, one follow-up in each dashboard section.
    Email.objects.exclude(client=client).delete()
    Communication.objects.exclude(client=client).delete()
    FollowUpTask.objects.exclude(pk__in=one_followup_per_section()).delete()
    assert Email.objects.exists() and Communication.objects.exists()
    sliver = {url: len(queries_of(browser, url)) for url in urls}
    assert whole == sliver
