"""In a real browser: sign in, add a client and a contact person, find it, open it."""

import re

import pytest

from forgecrm.accounts.roles import MEMBER
from forgecrm.clients.models import Client
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def real_problems(page) -> list[str]:
    """Failed requests and JS errors, except the browser's own favicon probe."""
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def test_member_adds_a_client_with_a_contact_and_finds_it(page, live_server, artifacts):
    from playwright.sync_api import expect

    UserFactory(username="nusrat", first_name="Nusrat", role=MEMBER)

    # Sign in through the real login form; it sends us on to the page we asked for.
    page.goto("/admin/crm/clients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("nusrat")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()

    # The stylesheets really load: Bootstrap's and ours.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor")
        == "rgb(13, 110, 253)"
    )

    # Add a client, with a second phone row added by the "Add another phone" button.
    page.get_by_role("link", name="Add your first client").click()
    page.get_by_label("Company name").fill("Meghna Software Ltd")
    page.get_by_label("Industry").fill("Software")
    page.locator("#id_status").select_option("active")
    page.locator("#id_emails-0-email").fill("hello@meghna.example")
    page.locator("#id_phones-0-number").fill("01711-000001")
    page.get_by_role("button", name="Add another phone").click()
    page.locator("#id_phones-1-number").fill("01911-555666")
    page.locator("#id_phones-1-kind").select_option("whatsapp")
    expect(page.locator("#id_phones-TOTAL_FORMS")).to_have_value("2")
    page.get_by_role("button", name="Add client").click()

    expect(page.get_by_role("heading", name="Meghna Software Ltd", level=1)).to_be_visible()
    expect(page.get_by_text("“Meghna Software Ltd” was added.")).to_be_visible()
    expect(page.get_by_role("link", name="+880 1911-555666")).to_be_visible()
    expect(page.get_by_role("link", name="Open in WhatsApp")).to_have_attribute(
        "href", "https://wa.me/8801911555666"
    )

    # Add a contact person from the client's page.
    page.get_by_role("link", name="Add contact person").click()
    page.get_by_label("First name").fill("Farhana")
    page.get_by_label("Last name").fill("Akter")
    page.get_by_label("Job title").fill("Managing Director")
    page.get_by_label("Role").select_option("decision_maker")
    page.locator("#id_emails-0-email").fill("farhana@meghna.example")
    page.locator("#id_phones-0-number").fill("01811-123456")
    page.get_by_role("button", name="Add contact person").click()

    card = page.locator(".contact-card", has_text="Farhana Akter")
    expect(card).to_be_visible()
    expect(card.get_by_text("Decision maker")).to_be_visible()

    # Find it through the list's live search (htmx swaps the results and updates the URL).
    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_label("Search", exact=True).fill("farhana")
    expect(page).to_have_url(re.compile(r"[?&]q=farhana"))
    results = page.locator("#client-results")
    expect(results.get_by_text("1 client matches", exact=False)).to_be_visible()
    results.get_by_role("link", name="Meghna Software Ltd").click()

    expect(page.get_by_role("heading", name="Meghna Software Ltd", level=1)).to_be_visible()
    expect(page.locator(".contact-card", has_text="Farhana Akter")).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.screenshot(path=str(artifacts / "client-profile.png"), full_page=True)

    client = Client.objects.get(name="Meghna Software Ltd")
    assert client.primary_contact.full_name == "Farhana Akter"
    assert real_problems(page) == []
