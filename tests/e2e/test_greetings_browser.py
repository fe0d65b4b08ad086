"""In Chromium: approving prepared greetings on the greetings page, on a desktop and a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forgecrm.events import greetings
from forgecrm.events.models import Greeting, GreetingStatus
from tests.e2e.test_calendar_browser import sign_in
from tests.emails.factories import contact_with_address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def coming_birthdays():
    """Two people whose birthdays are in two days, prepared as the daily task would."""
    soon = timezone.localdate() + timedelta(days=2)
    born = soon.replace(year=1992)  # a leap year, should it be 29 February
    karim = contact_with_address(
        first_name="Karim", last_name="Hossain", birthday=born, client__name="Acme Ltd"
    )
    emily = contact_with_address(
        first_name="Emily",
        last_name="Stone",
        birthday=born,
        timezone="America/New_York",
        client__name="Stone & Co",
    )
    greetings.prepare(days=7)
    return karim, emily


def row(page, name: str):
    return page.locator("tr", has_text=name).first


def test_approve_a_greeting_on_the_page(page, live_server, artifacts):
    from playwright.sync_api import expect

    karim, emily = coming_birthdays()
    sign_in(page, live_server)
    page.goto("/admin/crm/calendar/")
    page.get_by_role("link", name="Greetings").click()
    expect(page.get_by_role("heading", name="Greetings", exact=True)).to_be_visible()
    expect(row(page, "Karim Hossain").locator(".badge")).to_have_text("Proposed")
    page.screenshot(path=str(artifacts / "greetings-desktop.png"), full_page=True)

    page.get_by_label("Select Karim Hossain").check()
    section = page.locator("section", has_text="Karim Hossain")
    section.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("alert").first).to_contain_text("1 greeting approved")
    expect(row(page, "Karim Hossain").locator(".badge")).to_have_text("Approved")
    expect(row(page, "Emily Stone").locator(".badge")).to_have_text("Proposed")
    expect(row(page, "Emily Stone")).to_contain_text("America/New_York")
    assert Greeting.objects.get(contact=karim).status == GreetingStatus.APPROVED
    assert Greeting.objects.get(contact=emily).status == GreetingStatus.PROPOSED

    page.get_by_role("button", name="Leave out Emily Stone").click()
    expect(row(page, "Emily Stone").locator(".badge")).to_have_text("Excluded")
    row(page, "Karim Hossain").get_by_role("link", name="Preview").click()
    frame = page.frame_locator("iframe")
    expect(frame.locator("body")).to_contain_text("Happy birthday!")
    assert page.problems == []


def test_the_page_on_a_phone(browser, live_server, artifacts):
    from playwright.sync_api import expect

    coming_birthdays()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True
    )
    phone = context.new_page()
    sign_in(phone, live_server)
    phone.goto("/admin/crm/calendar/greetings/")
    expect(row(phone, "Karim Hossain").get_by_role("button", name="Approve")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(artifacts / "greetings-phone.png"), full_page=True)
    context.close()
    assert width <= 390
