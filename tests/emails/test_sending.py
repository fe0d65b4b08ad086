"""Sending for real: through the API and the worker to an SMTP server in this process."""

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from forgecrm.emails import delivery, tasks
from forgecrm.emails.models import Email, EmailEvent, EmailStatus, EventKind
from forgecrm.followups.models import FollowUpTask
from forgecrm.timeline.models import Communication
from tests.emails.factories import EmailTemplateFactory, ProjectFactory, contact_with_address

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


@pytest.fixture
def rahim():
    return contact_with_address(
        first_name="Rahim",
        last_name="Uddin",
        client__name="Acme Ltd",
        address="rahim@acme.example",
    )


def payload(to: list, **extra) -> dict:
    return {
        "to": to,
        "subject": "Your site, {{contact_first_name}}",
        "body_html": (
            "<p>Dear {{contact_first_name}},</p>"
            '<p>See <a href="https://pixelforgebd.com/plan?x=1&amp;y=2">the plan</a> and '
            '<a href="https://pixelforgebd.com/">our site</a>.</p>'
            "<script>alert(1)</script>"
        ),
        **extra,
    }


def send(api, committed, body: dict) -> dict:
    with committed():
        response = api.post("/emails/send", body)
    assert response.status_code == 202, response.json()
    return response.json()


def test_an_email_goes_out_with_its_headers_parts_attachment_and_tracking(
    api, committed, smtp, rahim, client
):
    pdf = b"%PDF-1.4 a tiny proposal"
    created = send(
        api,
        committed,
        payload(
            [rahim.pk],
            cc=["Karim <karim@acme.example>"],
            bcc=["boss@pixelforgebd.com"],
            read_receipt=True,
            email_type="proposal",
            attachments=[
                {
                    "filename": "proposal.pdf",
                    "content_type": "application/pdf",
                    "content_base64": base64.b64encode(pdf).decode(),
                }
            ],
        ),
    )
    assert created["status"] == "queued"
    email = Email.objects.get(pk=created["id"])
    assert email.status == EmailStatus.SENT and email.attempts == 1 and email.sent_at

    [envelope] = smtp.envelopes
    assert sorted(envelope.rcpt_tos) == [
        "boss@pixelforgebd.com",
        "karim@acme.example",
        "rahim@acme.example",
    ]
    [message] = smtp.messages
    assert message["From"] == "Pixel Forge <hello@pixelforgebd.com>"
    assert message["To"] == "Rahim Uddin <rahim@acme.example>"
    assert message["Cc"] == "Karim <karim@acme.example>"
    assert message["Bcc"] is None
    assert message["Subject"] == "Your site, Rahim"
    assert message["Message-ID"] == email.message_id
    assert email.message_id.endswith("@pixelforgebd.com>")
    assert message["Disposition-Notification-To"] == "hello@pixelforgebd.com"

    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Dear Rahim," in text and "(https://pixelforgebd.com/plan?x=1&y=2)" in text
    assert "script" not in html and "alert" not in html
    assert f'src="http://127.0.0.1:8000/t/{email.tracking_token}.gif"' in html
    assert "https://pixelforgebd.com/plan" not in html  # every link goes through the tracker
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "proposal.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf

    links = {link.url: link for link in email.links.all()}
    assert set(links) == {"https://pixelforgebd.com/plan?x=1&y=2", "https://pixelforgebd.com/"}
    plan = links["https://pixelforgebd.com/plan?x=1&y=2"]
    click_path = f"/t/{email.tracking_token}/c/{plan.token}"
    assert f'href="http://127.0.0.1:8000{click_path}"' in html

    with time_machine.travel(email.sent_at + timedelta(minutes=5)):
        pixel = client.get(f"/t/{email.tracking_token}.gif", HTTP_USER_AGENT=BROWSER)
        click = client.get(click_path, HTTP_USER_AGENT=BROWSER)
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    assert "no-store" in pixel["Cache-Control"]
    assert click.status_code == 302
    assert click["Location"] == "https://pixelforgebd.com/plan?x=1&y=2"

    email.refresh_from_db()
    plan.refresh_from_db()
    assert (email.open_count, email.click_count, plan.click_count) == (1, 1, 1)
    assert email.sent_at < email.first_opened_at <= email.last_opened_at
    kinds = list(email.events.values_list("kind", "is_proxy"))
    assert kinds == [("queued", False), ("sent", False), ("opened", False), ("clicked", False)]


def test_the_api_pixel_address_records_opens_too(api, committed, smtp, rahim, client):
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    with time_machine.travel(email.sent_at + timedelta(hours=1)):
        response = client.get(
            f"/api/admin/crm/emails/track/{email.tracking_token}", HTTP_USER_AGENT=BROWSER
        )
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    email.refresh_from_db()
    assert email.open_count == 1


def test_a_sent_email_is_on_the_clients_timeline_with_its_follow_up(
    api, committed, smtp, rahim, member
):
    template = EmailTemplateFactory()
    created = send(api, committed, payload([rahim.pk], template=template.pk, follow_up_in_days=3))
    email = Email.objects.get(pk=created["id"])
    communication = Communication.objects.get(email=email)
    assert (communication.kind, communication.direction) == ("email", "outbound")
    assert communication.client == rahim.client and communication.contact == rahim
    assert communication.occurred_at == email.sent_at
    assert communication.subject == "Your site, Rahim"
    task = FollowUpTask.objects.get(email=email)
    assert task.due_at == email.sent_at + timedelta(days=3)
    assert (task.source, task.assignee, task.client) == ("template", member, rahim.client)
    template.refresh_from_db()
    assert template.usage_count == 1 and template.last_used_at is not None


def test_forged_tokens_find_nothing_and_record_nothing(api, committed, smtp, rahim, client):
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    link = email.links.first()
    forged = "A" * 43
    events = EmailEvent.objects.count()
    assert client.get(f"/t/{forged}.gif").status_code == 404
    assert client.get(f"/api/admin/crm/emails/track/{forged}").status_code == 404
    assert client.get(f"/t/{forged}/c/{link.token}").status_code == 404
    assert client.get(f"/t/{email.tracking_token}/c/{'B' * 22}").status_code == 404
    assert EmailEvent.objects.count() == events
    email.refresh_from_db()
    assert email.open_count == email.click_count == 0


def test_a_click_only_redirects_to_a_link_of_that_very_email(api, committed, smtp, rahim, client):
    first = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    other = send(
        api,
        committed,
        {"to": [rahim.pk], "subject": "x", "body_html": '<a href="https://evil.example/">x</a>'},
    )
    foreign_link = Email.objects.get(pk=other["id"]).links.get()
    response = client.get(f"/t/{first.tracking_token}/c/{foreign_link.token}")
    assert response.status_code == 404
    assert not EmailEvent.objects.filter(kind=EventKind.CLICKED).exists()


def test_opens_by_proxies_are_recorded_but_not_counted(api, committed, smtp, rahim, client):
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    pixel = f"/t/{email.tracking_token}.gif"
    client.get(pixel, HTTP_USER_AGENT=BROWSER)  # seconds after sending: a prefetch
    with time_machine.travel(email.sent_at + timedelta(hours=2)):
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0 (via ggpht.com GoogleImageProxy)")
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0", REMOTE_ADDR="17.58.101.10")
    email.refresh_from_db()
    opens = email.events.filter(kind=EventKind.OPENED)
    assert opens.count() == 3 and all(opens.values_list("is_proxy", flat=True))
    assert email.open_count == 0 and email.first_opened_at is None

    with time_machine.travel(email.sent_at + timedelta(hours=3)):
        client.get(pixel, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    email.refresh_from_db()
    assert email.open_count == 1 and email.first_opened_at is not None


def test_a_temporary_failure_is_retried_later_and_sent_once(api, committed, smtp, rahim):
    smtp.reply_with("451 4.3.0 Mailbox busy, try again later")
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    assert email.status == EmailStatus.QUEUED and email.attempts == 1
    assert email.last_error == "451 4.3.0 Mailbox busy, try again later"
    assert email.next_attempt_at - timezone.now() > timedelta(seconds=55)
    assert smtp.envelopes == []

    tasks.send_due_emails()  # not due yet
    assert Email.objects.get(pk=email.pk).attempts == 1

    with time_machine.travel(email.next_attempt_at + timedelta(seconds=1)):
        tasks.send_due_emails()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 2 and email.last_error == ""
    assert len(smtp.envelopes) == 1
    kinds = list(email.events.values_list("kind", flat=True))
    assert kinds == ["queued", "deferred", "sent"]


def test_retries_back_off_and_give_up_after_the_last_attempt(api, committed, smtp, rahim, settings):
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtp.reply_with(*["421 4.7.0 Try later"] * 3)
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    delays = []
    while email.status == EmailStatus.QUEUED:
        delays.append(email.next_attempt_at - email.updated_at)
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1)):
            tasks.send_due_emails()
        email.refresh_from_db()
    assert delays == [timedelta(minutes=1), timedelta(minutes=2)]
    assert email.status == EmailStatus.FAILED and email.attempts == 3
    assert email.last_error == "421 4.7.0 Try later"
    assert smtp.envelopes == []


def test_a_permanent_failure_marks_the_email_failed_with_the_servers_answer(
    api, committed, smtp, rahim
):
    smtp.reply_with("550 5.1.1 <rahim@acme.example>: Recipient address rejected")
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    assert email.status == EmailStatus.FAILED and email.attempts == 1
    assert email.last_error == "550 5.1.1 <rahim@acme.example>: Recipient address rejected"
    assert email.next_attempt_at is None
    assert email.events.filter(kind=EventKind.FAILED).count() == 1
    assert not Communication.objects.filter(email=email).exists()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        tasks.send_due_emails()
    assert smtp.envelopes == []


def test_an_unreachable_server_is_a_temporary_failure(api, committed, smtp, rahim, settings):
    settings.EMAIL_PORT = smtp.port + 1 if smtp.port < 65535 else smtp.port - 1
    email = Email.objects.get(pk=send(api, committed, payload([rahim.pk]))["id"])
    assert email.status == EmailStatus.QUEUED and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error


def test_an_email_claimed_twice_is_sent_once(api, smtp, rahim):
    response = api.post("/emails/send", payload([rahim.pk]))  # not committed: nothing queued
    email = Email.objects.get(pk=response.json()["id"])
    assert email.status == EmailStatus.QUEUED

    now = timezone.now()
    assert delivery.claim([email.pk], now=now) == [email.pk]
    assert delivery.claim([email.pk], now=now) == []
    Email.objects.filter(pk=email.pk).update(status=EmailStatus.QUEUED)

    tasks.send_emails([email.pk])
    tasks.send_emails([email.pk])  # a retried task or a second worker
    with time_machine.travel(now + timedelta(hours=1)):
        tasks.send_due_emails()  # the sweep finds nothing left to send
    assert len(smtp.envelopes) == 1
    email.refresh_from_db()
    assert email.attempts == 1 and email.status == EmailStatus.SENT


def test_without_a_mailbox_emails_wait_in_the_outbox(api, committed, rahim):
    created = send(api, committed, payload([rahim.pk], follow_up_in_days=2))
    email = Email.objects.get(pk=created["id"])
    assert email.status == EmailStatus.OUTBOX
    assert email.sent_at is None and email.attempts == 0
    assert mail.outbox == []
    assert email.events.filter(kind=EventKind.OUTBOX).exists()
    communication = Communication.objects.get(email=email)
    assert communication.client == rahim.client
    assert FollowUpTask.objects.filter(email=email).exists()


def test_the_rate_limit_holds_the_extra_emails_back(api, committed, smtp, rahim, settings):
    settings.EMAIL_RATE_LIMIT_PER_MINUTE = 2
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 3
    ids = [send(api, committed, payload([rahim.pk]))["id"] for _ in range(4)]
    assert len(smtp.envelopes) == 2
    held = Email.objects.filter(pk__in=ids, status=EmailStatus.QUEUED)
    assert held.count() == 2 and not held.filter(attempts__gt=0).exists()

    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=30)):
        tasks.send_due_emails()  # the minute is not over
    assert len(smtp.envelopes) == 2
    with time_machine.travel(start + timedelta(seconds=61)):
        tasks.send_due_emails()  # one more fits this hour
    assert len(smtp.envelopes) == 3
    with time_machine.travel(start + timedelta(minutes=61)):
        tasks.send_due_emails()
    assert len(smtp.envelopes) == 4
    assert Email.objects.filter(pk__in=ids, status=EmailStatus.SENT).count() == 4


def test_a_scheduled_email_goes_at_its_time_in_the_recipients_zone_not_before(
    api, committed, smtp, settings
):
    rahim = contact_with_address(first_name="Rahim", timezone="America/New_York")
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        response = api.post(
            "/emails/schedule",
            {
                **payload([rahim.pk]),
                "send_at": "2026-12-02T09:00:00",
                "timezone": "recipient",
                "body_html": "<p>Sent on {{date}}</p>",
            },
        )
    assert response.status_code == 201, response.json()
    email = Email.objects.get(pk=response.json()["id"])
    assert email.status == EmailStatus.SCHEDULED
    assert email.scheduled_at == datetime(2026, 12, 2, 14, 0, tzinfo=ZoneInfo("UTC"))
    assert email.body_text == "Sent on 2 December 2026\n"

    with time_machine.travel(datetime(2026, 12, 2, 13, 59, 30, tzinfo=ZoneInfo("UTC"))):
        tasks.send_due_emails()
    assert smtp.envelopes == []
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SCHEDULED

    with time_machine.travel(datetime(2026, 12, 2, 14, 0, 20, tzinfo=ZoneInfo("UTC")), tick=False):
        tasks.send_due_emails()
    assert len(smtp.envelopes) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.sent_at == datetime(2026, 12, 2, 14, 0, 20, tzinfo=ZoneInfo("UTC"))


def test_scheduling_reads_a_plain_time_in_the_senders_zone_and_refuses_the_past(api, rahim):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        later = api.post("/emails/schedule", {**payload([rahim.pk]), "send_at": "2026-12-01T18:00"})
        past = api.post("/emails/schedule", {**payload([rahim.pk]), "send_at": "2026-12-01T10:00"})
    assert later.status_code == 201, later.json()
    assert later.json()["scheduled_at"] == "2026-12-01T12:00:00Z"  # 18:00 in Asia/Dhaka
    assert past.status_code == 422
    assert past.json()["errors"] == {"send_at": ["Pick a time in the future."]}


def test_a_variable_the_recipient_has_no_value_for_is_refused_before_sending(
    api, committed, smtp, rahim
):
    body = {**payload([rahim.pk]), "body_html": "<p>About {{project_name}}</p>"}
    with committed():
        response = api.post("/emails/send", body)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "body_html": ["{{project_name}} has no value for Rahim Uddin (Acme Ltd)."]
    }
    assert not Email.objects.exists() and smtp.envelopes == []

    ProjectFactory(client=rahim.client, name="Online shop")
    created = send(api, committed, body)
    assert Email.objects.get(pk=created["id"]).body_text == "About Online shop\n"


def test_an_unknown_variable_is_refused_before_sending(api, rahim):
    response = api.post("/emails/send", {**payload([rahim.pk]), "subject": "Hi {{nickname}}"})
    assert response.status_code == 422
    assert "Unknown variable {{nickname}}" in response.json()["errors"]["subject"][0]


@pytest.mark.parametrize(
    ("to", "field", "message"),
    [
        ([999999], "to", "There is no contact with id 999999."),
        (["not an address"], "to", "“not an address” is not a valid e-mail address."),
        ([], "to", "List should have at least 1 item after validation, not 0"),
    ],
)
def test_bad_recipients_are_refused(api, to, field, message):
    response = api.post("/emails/send", payload(to))
    assert response.status_code == 422
    assert response.json()["errors"][field] == [message]


def test_attachments_over_the_limit_are_refused(api, rahim, settings):
    settings.EMAIL_ATTACHMENTS_MAX_BYTES = 10
    attachment = {"filename": "big.bin", "content_base64": base64.b64encode(b"x" * 11).decode()}
    response = api.post("/emails/send", payload([rahim.pk], attachments=[attachment]))
    assert response.status_code == 422
    assert "attachments" in response.json()["errors"]


def test_a_viewer_cannot_send_or_schedule(viewer_api, rahim):
    assert viewer_api.post("/emails/send", payload([rahim.pk])).status_code == 403
    body = {**payload([rahim.pk]), "send_at": "2030-01-01T10:00"}
    assert viewer_api.post("/emails/schedule", body).status_code == 403
    assert not Email.objects.exists()
