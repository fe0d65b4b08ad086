"""In a real browser, on a phone: the mailbox panel, "Read now" and the re-scan (confirmed
first), the stale-reader warning, and sorting out an unmatched message."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from forgecrm.accounts.roles import MANAGER
from forgecrm.mailbox.models import (
    FolderRole,
    MailboxFolder,
    MailboxMessage,
    MailboxRun,
    MessageKind,
    MessageStatus,
    RunTrigger,
)
from tests.e2e.signing_in import sign_in_with_session
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_problems(page) -> list[str]:
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def shoot(page, artifacts, name: str) -> None:
    page.wait_for_timeout(300)
    for size, suffix in (({"width": 1280, "height": 900}, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"mailbox-{name}-{suffix}.png"), full_page=True)


def test_the_panel_on_a_phone_reads_now_and_rescans_after_confirming(
    page, live_server, artifacts, settings
):
    from playwright.sync_api import expect

    settings.IMAP_URL = f"imap://hello%40pixelforgebd.com:s3cret@127.0.0.1:{closed_port()}"
    settings.MAILBOX_STALE_MINUTES = 30
    user = UserFactory(username="mahmud", role=MANAGER)
    long_ago = timezone.now() - timedelta(hours=2)
    inbox = MailboxFolder.objects.create(
        name="INBOX", role=FolderRole.INBOX, uidvalidity=7, last_read_at=long_ago
    )
    MailboxRun.objects.create(
        trigger=RunTrigger.SCHEDULE,
        started_at=long_ago,
        finished_at=long_ago + timedelta(seconds=4),
        ok=True,
        messages_read=12,
    )
    MailboxMessage.objects.create(
        folder=inbox,
        uidvalidity=7,
        uid=9,
        kind=MessageKind.UNMATCHED,
        status=MessageStatus.UNMATCHED,
        from_address="rafiq@unknown.example",
        subject="Do you build online shops?",
        body_text="Hello, we need an online shop.",
    )

    page.set_viewport_size(PHONE)
    sign_in_with_session(page, live_server, user)
    page.goto("/admin/crm/clients/")
    warning = page.locator("#mailbox-stale")
    expect(warning).to_contain_text("The mailbox has not been read since")
    warning.get_by_role("link", name="Open the mailbox panel").click()
    expect(page).to_have_url(f"{live_server.url}/admin/crm/mailbox/")
    expect(page.locator("#imap-account")).to_have_text(
        "hello@pixelforgebd.com at 127.0.0.1:"
        + settings.IMAP_URL.rsplit(":", 1)[1]
        + " (unencrypted)"
    )
    shoot(page, artifacts, "panel")
    page.set_viewport_size(PHONE)

    page.get_by_role("button", name="Read now").click()
    runs = page.locator("#runs")
    expect(runs).to_contain_text("A read of the mailbox was asked for")
    expect(runs.locator(".mailbox-run").first).to_contain_text("Failed")
    expect(runs.locator(".mailbox-run").first).to_contain_text("Read now")

    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Full re-scan").click()
    expect(runs.locator(".mailbox-run").first).to_contain_text("Full re-scan")
    assert dialogs and "Messages already read are skipped" in dialogs[0]
    assert MailboxRun.objects.count() == 3
    shoot(page, artifacts, "after-read")
    page.set_viewport_size(PHONE)

    page.get_by_role("link", name="Unmatched", exact=True).click()
    page.get_by_role("link", name="Do you build online shops?").click()
    expect(page.locator("#message-body")).to_have_text("Hello, we need an online shop.")
    shoot(page, artifacts, "message")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Ignore this message").click()
    expect(page.locator("#messages-empty")).to_contain_text("Nothing to sort out.")
    assert MailboxMessage.objects.get().status == MessageStatus.IGNORED
    assert real_problems(page) == []


def test_an_unmatched_message_is_assigned_with_the_client_picker(page, live_server):
    from playwright.sync_api import expect

    from tests.factories import ClientFactory, ContactFactory

    user = UserFactory(username="mahmud", role=MANAGER)
    client = ClientFactory(name="Meghna Traders")
    ContactFactory(client=client, first_name="Farhana", last_name="Akter")
    inbox = MailboxFolder.objects.create(name="INBOX", role=FolderRole.INBOX, uidvalidity=7)
    message = MailboxMessage.objects.create(
        folder=inbox,
        uidvalidity=7,
        uid=3,
        kind=MessageKind.UNMATCHED,
        status=MessageStatus.UNMATCHED,
        from_address="farhana.personal@mail.example",
        message_id="<shop@mail.example>",
        subject="About our shop",
        body_text="Writing from my own address.",
    )

    sign_in_with_session(page, live_server, user)
    page.goto(f"/admin/crm/mailbox/messages/{message.pk}/")
    page.locator(".ts-wrapper input").fill("Meghna")
    page.locator(".ts-dropdown .option", has_text="Meghna Traders").click()
    contact = page.get_by_label("Contact (optional)")
    expect(contact.locator("option", has_text="Farhana Akter")).to_have_count(1)
    contact.select_option(label="Farhana Akter")
    page.get_by_role("button", name="Assign").click()

    expect(page.locator(".alert")).to_contain_text("Filed on Meghna Traders")
    expect(page.locator("h1")).to_have_text("About our shop")
    message.refresh_from_db()
    assert message.status == MessageStatus.ASSIGNED
    assert message.email.contact.first_name == "Farhana"
    assert real_problems(page) == []


def test_a_bounce_report_that_suppressed_nobody_says_why_on_a_phone(page, live_server, artifacts):
    from playwright.sync_api import expect

    from forgecrm.mailbox.services import handle_message
    from tests.mailbox.test_reports import _report

    inbox = MailboxFolder.objects.create(name="INBOX", role=FolderRole.INBOX, uidvalidity=7)
    handle_message(
        folder=inbox,
        uid=1,
        raw=_report("<invented@attacker.example>", "rahim@dhakatextiles.com.bd", sender=b"x@"),
    )

    page.set_viewport_size(PHONE)
    sign_in_with_session(page, live_server, UserFactory(username="mahmud", role=MANAGER))
    page.goto("/admin/crm/mailbox/unmatched/")
    row = page.locator(".mailbox-message").first
    expect(row).to_contain_text("Bounce report")
    expect(row).to_contain_text("no address was suppressed for: rahim@dhakatextiles.com.bd")
    shoot(page, artifacts, "bounce-report")
    row.locator("a").click()
    expect(page.locator("#message-body")).to_contain_text("the CRM never mailed this address")
    shoot(page, artifacts, "bounce-report-message")
    assert real_problems(page) == []
