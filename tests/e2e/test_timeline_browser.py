"""In a real browser: log a call from the client's page, then find it with the header's search."""

import re

import pytest

from forgecrm.accounts.roles import MEMBER
from forgecrm.timeline.models import Communication
from tests.e2e.signing_in import sign_in_with_form
from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def real_problems(page) -> list[str]:
    """Failed requests and JS errors, except the browser's own favicon probe."""
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def test_log_a_call_and_find_it_from_the_header(page, live_server, artifacts):
    from playwright.sync_api import expect

    UserFactory(username="nusrat", first_name="Nusrat", role=MEMBER)
    client = ClientFactory(name="Padma Textiles Ltd")
    ContactFactory(client=client, first_name="Rahim", last_name="Uddin")
    CommunicationFactory(client=client, subject="An older call", content="Earlier talk")

    sign_in_with_form(page, client.get_absolute_url())
    expect(page.get_by_role("heading", name="Padma Textiles Ltd", level=1)).to_be_visible()
    entries = page.locator("#timeline-entries > li.timeline-entry")
    expect(entries).to_have_count(1)

    # Log a call: the summary field has the focus on a wide screen; Enter logs it.
    quick_log = page.locator("#quick-log")
    quick_log.get_by_text("Call", exact=True).click()
    quick_log.get_by_label("Direction").get_by_text("In").click()
    quick_log.get_by_placeholder("Notes (optional)").fill(
        "Asked about the saree catalogue; ধন্যবাদ for the samples"
    )
    quick_log.get_by_label("With").select_option(label="Rahim Uddin")
    summary = quick_log.get_by_placeholder(re.compile("^Summary"))
    summary.fill("Catalogue questions")
    summary.press("Enter")

    # The new entry is on top of the timeline, without a reload; the form is fresh.
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("Catalogue questions")
    expect(entries.first).to_contain_text("Inbound")
    expect(entries.first).to_contain_text("Rahim Uddin")
    expect(page.locator("#quick-log").get_by_placeholder(re.compile("^Summary"))).to_have_value("")
    expect(page.locator("#quick-log #ql-kind-call")).to_be_checked()
    expect(page.locator("#insight-last-contacted")).to_contain_text("today")
    call = Communication.objects.get(subject="Catalogue questions")
    assert (call.kind, call.direction, call.contact.first_name) == ("call", "inbound", "Rahim")
    page.screenshot(path=str(artifacts / "timeline-logged.png"), full_page=True)

    # Search a word of its notes in the header: the dropdown, then the results page.
    search = page.get_by_role("searchbox", name=re.compile("Search clients"))
    search.fill("saree")
    dropdown = page.locator("#header-search-results")
    expect(dropdown.get_by_role("option", name=re.compile("Catalogue questions"))).to_be_visible()
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/crm/search/\?q=saree"))
    results = page.locator("#results-communications").locator("xpath=../..")
    expect(results).to_contain_text("Catalogue questions")
    expect(results.locator("mark").first).to_have_text("saree")
    page.screenshot(path=str(artifacts / "timeline-search.png"), full_page=True)

    # Each result leads to its page.
    results.get_by_role("link", name="Catalogue questions").click()
    expect(page.get_by_role("heading", name="Catalogue questions", level=1)).to_be_visible()
    expect(page.get_by_text("Asked about the saree catalogue")).to_be_visible()
    assert real_problems(page) == []
