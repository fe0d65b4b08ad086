"""In a real browser: a contact's bounced address is marked on the client's page, a manager
clears it, and the suppressions page and the recipient's unsubscribe page look right."""

from datetime import UTC, datetime

import pytest

from forgecrm.accounts.roles import MANAGER
from forgecrm.emails.models import Suppression
from forgecrm.emails.services import record_bounce, suppressed_addresses
from tests.e2e.signing_in import sign_in_with_form
from tests.emails.factories import EmailFactory, contact_with_address
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def real_problems(page) -> list[str]:
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def shoot(page, artifacts, name: str) -> None:
    page.wait_for_timeout(300)
    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"suppression-{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_client_page_shows_an_undeliverable_address_and_clear_works(page, artifacts):
    from playwright.sync_api import expect

    UserFactory(username="mahmud", first_name="Mahmud", role=MANAGER)
    contact = contact_with_address("farhana@meghna.example", first_name="Farhana")
    record_bounce(
        address="farhana@meghna.example",
        permanent=True,
        email=None,
        at=datetime(2026, 11, 12, 9, 30, tzinfo=UTC),
        detail="550 5.1.1 <farhana@meghna.example>: user unknown",
    )

    sign_in_with_form(page, contact.client.get_absolute_url(), username="mahmud")
    card = page.locator(f"#contact-{contact.pk}")
    expect(card.locator(".badge", has_text="Undeliverable")).to_be_visible()
    expect(card).to_contain_text("Bounced permanently on 12 Nov 2026: 550 5.1.1")
    shoot(page, artifacts, "client-page")

    # The composer's recipient picker says so too (the contact is typed in "Cc").
    page.goto(f"/admin/crm/emails/compose?client={contact.client_id}")
    page.locator(".ts-wrapper").nth(1).locator("input").fill("farhana")
    option = page.locator(".ts-dropdown .option", has_text="Farhana")
    expect(option).to_contain_text("Not deliverable")
    expect(option).to_contain_text("bounced permanently on 12 Nov 2026")
    page.go_back()

    card.get_by_role("button", name="Clear farhana@meghna.example").click()

    expect(page.get_by_role("alert").or_(page.locator(".alert"))).to_contain_text(
        "farhana@meghna.example is cleared"
    )
    expect(card.locator(".badge", has_text="Undeliverable")).to_have_count(0)
    assert page.url.endswith(contact.client.get_absolute_url())
    assert suppressed_addresses(["farhana@meghna.example"]) == set()
    assert Suppression.objects.get().cleared_at is not None
    assert real_problems(page) == []


def test_the_suppressions_page_and_the_unsubscribe_page(page, artifacts):
    from playwright.sync_api import expect

    UserFactory(username="mahmud", role=MANAGER)
    for n in range(3):
        record_bounce(
            address=f"gone{n}@acme.example",
            permanent=True,
            email=None,
            at=datetime(2026, 11, 12 + n, tzinfo=UTC),
            detail="550 5.1.1 user unknown",
        )
    sign_in_with_form(page, "/admin/crm/emails/suppressions/", username="mahmud")
    expect(page.locator("#result-count")).to_contain_text("3 addresses")
    with page.expect_response(lambda response: "q=gone1" in response.url):  # a loaded CI box
        page.get_by_label("Search", exact=True).fill("gone1")
    expect(page.locator("#result-count")).to_contain_text("1 address")
    shoot(page, artifacts, "list")

    page.goto("/admin/crm/emails/suppressions/")
    page.get_by_text("Block an address").click()
    page.get_by_label("Address", exact=True).fill("Nila@Acme.example")
    page.get_by_label("Why (optional)").fill("Asked by phone to stop")
    shoot(page, artifacts, "block-form")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".alert")).to_contain_text("nila@acme.example is blocked")
    expect(page.locator("#result-count")).to_contain_text("4 addresses")
    blocked = page.locator("#suppression-results tr", has_text="nila@acme.example")
    expect(blocked).to_contain_text("was blocked by hand on")
    expect(blocked).to_contain_text("Asked by phone to stop")

    email = EmailFactory(
        to="rahim@acme.example", contact=contact_with_address("rahim@acme.example")
    )
    page.context.clear_cookies()
    page.goto(f"/u/{email.tracking_token}/")
    expect(page.get_by_role("heading", name="Stop emails from Pixel Forge?")).to_be_visible()
    shoot(page, artifacts, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe rahim@acme.example").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert suppressed_addresses(["rahim@acme.example"]) == {"rahim@acme.example"}
    assert real_problems(page) == []
