"""In Chromium: the calendar shows a month of coloured dates, filters them, opens them."""

import re
from datetime import date

import pytest

from forgecrm.accounts.roles import MEMBER
from forgecrm.events.display import TYPE_COLOURS
from forgecrm.events.models import EventType
from tests.e2e.signing_in import sign_in_with_session
from tests.events.factories import ImportantDateFactory
from tests.factories import ClientFactory, ContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def sign_in(page, live_server) -> None:
    sign_in_with_session(page, live_server, UserFactory(username="nusrat", role=MEMBER))


def december_2026():
    acme = ClientFactory(name="Acme Ltd", contract_renewal_date=date(2026, 12, 9))
    ContactFactory(client=acme, first_name="Anika", last_name="Das", birthday=date(1992, 12, 3))
    ContactFactory(client=acme, first_name="Rafi", last_name="Khan", anniversary=date(2019, 12, 21))
    return ImportantDateFactory(
        name="Pixel Forge founded",
        event_type=EventType.BUSINESS_MILESTONE,
        date=date(2018, 12, 12),
        client=acme,
    )


def test_the_month_shows_coloured_dates_and_opens_them(page, live_server, artifacts):
    from playwright.sync_api import expect

    founded = december_2026()
    sign_in(page, live_server)
    page.goto("/admin/crm/calendar/?date=2026-12-01")
    expect(page.locator(".fc-toolbar-title")).to_have_text("December 2026")

    expected = {
        "Birthday: Anika Das": EventType.BIRTHDAY,
        "Contract renewal: Acme Ltd": EventType.CONTRACT_RENEWAL,
        "Pixel Forge founded": EventType.BUSINESS_MILESTONE,
        "Victory Day (BD)": EventType.HOLIDAY,
        "Anniversary: Rafi Khan": EventType.ANNIVERSARY,
        "Christmas": EventType.HOLIDAY,
    }
    for title, event_type in expected.items():
        event = page.locator(".fc-daygrid-event", has_text=title)
        expect(event).to_be_visible()
        expect(event).to_have_css("background-color", rgb(TYPE_COLOURS[event_type]))
    page.screenshot(path=artifacts / "calendar-desktop.png", full_page=True)

    # Filters: hide holidays, then only Acme's dates.
    page.locator("label[for=type-holiday]").click()
    expect(page.locator(".fc-daygrid-event", has_text="Christmas")).to_have_count(0)
    expect(page.locator(".fc-daygrid-event", has_text="Birthday: Anika Das")).to_be_visible()
    expect(page).to_have_url(re.compile(r"type=birthday"))

    # Week and day views.
    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.locator(".fc-toolbar-title")).to_contain_text("2026")
    page.get_by_role("button", name="Month", exact=True).click()

    # A stored date opens its page; a derived one opens the client's page.
    page.locator(".fc-daygrid-event", has_text="Pixel Forge founded").click()
    expect(page).to_have_url(re.compile(rf"/admin/crm/calendar/events/{founded.pk}/$"))
    expect(page.get_by_role("heading", name="Pixel Forge founded")).to_be_visible()
    page.go_back()
    page.locator(".fc-daygrid-event", has_text="Contract renewal: Acme Ltd").click()
    expect(page).to_have_url(re.compile(rf"/admin/crm/clients/{founded.client_id}/$"))
    assert [p for p in page.problems if not p.endswith("/favicon.ico")] == []


def test_an_estimated_eid_is_dashed_until_someone_confirms_it(page, live_server, artifacts):
    from playwright.sync_api import expect

    sign_in(page, live_server)
    page.goto("/admin/crm/calendar/?date=2030-02-01")
    eid = page.locator(".fc-daygrid-event", has_text="Eid ul-Fitr (estimated)")
    expect(eid).to_have_class(re.compile(r"fc-estimated"))
    expect(eid).to_have_css("border-top-style", "dashed")
    page.screenshot(path=artifacts / "calendar-estimated-eid.png")

    eid.click()
    expect(page.get_by_role("heading", name=re.compile(r"Eid ul-Fitr"))).to_be_visible()
    page.get_by_label("Date it is celebrated").fill("2030-02-06")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/admin/crm/calendar/\?date=2030-02-"))
    confirmed = page.locator(".fc-daygrid-event", has_text="Eid ul-Fitr")
    expect(confirmed).to_have_text("Eid ul-Fitr")
    expect(confirmed).not_to_have_class(re.compile(r"fc-estimated"))
    expect(page.locator(".fc-day[data-date='2030-02-06'] .fc-daygrid-event")).to_have_text(
        "Eid ul-Fitr"
    )


def test_the_month_on_a_phone(browser, live_server, artifacts):
    from playwright.sync_api import expect

    december_2026()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, live_server)
    page.goto("/admin/crm/calendar/?date=2026-12-01")
    # A list on a phone, where whole titles fit; the month grid is a tap away.
    expect(page.locator(".fc-list-event", has_text="Contract renewal: Acme Ltd")).to_be_visible()
    expect(page.locator("#calendar-filters")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    page.screenshot(path=artifacts / "calendar-phone.png", full_page=True)

    page.get_by_role("button", name="Filters").click()
    page.locator("label[for=type-holiday]").click()
    expect(page.locator(".fc-list-event", has_text="Christmas")).to_have_count(0)
    page.get_by_role("button", name="Month", exact=True).click()
    expect(page.locator(".fc-daygrid-event", has_text="Birthday: Anika Das")).to_be_visible()
    page.screenshot(path=artifacts / "calendar-phone-month.png", full_page=True)

    page.get_by_role("link", name="Add date").click()
    expect(page.get_by_role("heading", name="New important date")).to_be_visible()
    expect(page.get_by_label("Recurrence rule")).to_be_hidden()  # only for a custom rule
    page.get_by_label("Repeats").select_option("custom")
    expect(page.get_by_label("Recurrence rule")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways ({width}px)"
    page.screenshot(path=artifacts / "event-form-phone.png", full_page=True)
    context.close()
