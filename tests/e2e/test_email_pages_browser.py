"""In a real browser: the email analytics page with its charts and figures, and an email's
conversation (ours and theirs, in order)."""

from datetime import UTC, datetime

import pytest

from forgecrm.accounts.roles import MANAGER
from tests.e2e.signing_in import sign_in_with_session
from tests.emails.factories import EmailFactory
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def real_problems(page) -> list[str]:
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def shoot(page, artifacts, name: str) -> None:
    page.wait_for_timeout(300)
    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"emails-{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_analytics_page_shows_the_figures_and_draws_the_charts(page, live_server, artifacts):
    from playwright.sync_api import expect

    user = UserFactory(username="mahmud", role=MANAGER)
    acme = ClientFactory(name="Acme Textiles")
    for minute in range(4):
        EmailFactory(
            client=acme,
            email_type="proposal",
            sent_at=at(2, 4, minute),
            first_opened_at=at(2, 6),
            open_count=1,
            replied_at=at(3, 4) if minute == 0 else None,
        )
    EmailFactory(email_type="invoice", sent_at=at(3, 9))

    sign_in_with_session(page, live_server, user)
    page.goto("/admin/crm/emails/")
    page.get_by_role("link", name="Analytics").click()
    expect(page.locator('[data-figure="sent"]')).to_have_text("5")
    expect(page.locator('[data-figure="open_rate"]')).to_have_text("80.0%")
    expect(page.locator('[data-figure="reply_rate"]')).to_have_text("20.0%")
    expect(page.locator("#table-types")).to_contain_text("Proposal")
    expect(page.locator("#table-clients")).to_contain_text("Acme Textiles")
    # Chart.js drew on every canvas (a drawn chart sets the canvas's size).
    for chart in ("periods", "types", "hours", "weekdays"):
        canvas = page.locator(f"#chart-{chart}")
        page.wait_for_function(
            "(c) => window.Chart !== undefined && Chart.getChart(c) !== undefined",
            arg=canvas.element_handle(),
            timeout=10_000,
        )
    shoot(page, artifacts, "analytics")

    page.get_by_role("link", name="Last 90 days").click()
    expect(page.get_by_role("link", name="Last 90 days")).to_have_attribute("aria-current", "true")
    assert real_problems(page) == []


def test_an_emails_page_shows_the_conversation_and_opens_a_reply(page, live_server, artifacts):
    from playwright.sync_api import expect

    from forgecrm.emails.models import Direction, EmailStatus

    user = UserFactory(username="mahmud", role=MANAGER)
    first = EmailFactory(subject="Website proposal", sent_at=at(2, 4))
    EmailFactory(
        direction=Direction.INBOUND,
        status=EmailStatus.RECEIVED,
        tracking_token=None,
        subject="Re: Website proposal",
        from_email="Farhana Akter <farhana@meghna.example>",
        in_reply_to=first.message_id,
        references=first.message_id,
        sent_at=at(2, 7),
        body_html="<p>Looks good, let us talk on Sunday.</p>",
    )

    sign_in_with_session(page, live_server, user)
    page.goto(f"/admin/crm/emails/{first.pk}/")
    thread = page.locator("#thread")
    expect(thread.locator(".thread-message")).to_have_count(2)
    expect(thread.locator(".thread-message").nth(1)).to_contain_text("answered after 3")
    thread.get_by_text("Show the message").click()
    frame = page.frame_locator(".thread-frame")
    expect(frame.get_by_text("Looks good, let us talk on Sunday.")).to_be_visible()
    shoot(page, artifacts, "thread")
    assert real_problems(page) == []
