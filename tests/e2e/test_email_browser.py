"""In a real browser: write an email from a template, preview it, send it, find it in history.

No mailbox is configured in tests, so the email is kept in the outbox, and the pages say so.
"""

import re

import pytest

from forgecrm.accounts.roles import MEMBER
from tests.e2e.signing_in import sign_in_with_form
from tests.emails.factories import EmailTemplateFactory, contact_with_address
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def real_problems(page) -> list[str]:
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def shoot(page, artifacts, name: str) -> None:
    page.wait_for_timeout(400)
    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"emails-{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_member_composes_from_a_template_previews_sends_and_finds_it(page, artifacts):
    from playwright.sync_api import expect

    UserFactory(username="nusrat", first_name="Nusrat", role=MEMBER)
    contact = contact_with_address(
        "farhana@meghna.example", first_name="Farhana", last_name="Akter"
    )
    EmailTemplateFactory(
        name="Welcome aboard",
        subject="Welcome, {{contact_first_name}}",
        body_html="<p>Dear {{contact_name}}, welcome to {{sender_company}}.</p>",
    )

    sign_in_with_form(
        page, f"/admin/crm/emails/compose?client={contact.client_id}&contact={contact.pk}"
    )
    expect(page.get_by_role("heading", name="Compose an email")).to_be_visible()
    # The contact is already in "To"; the rich-text editor is up.
    expect(page.locator(".ts-wrapper").first).to_contain_text("Farhana Akter")
    expect(page.locator(".rich-editor .ql-editor")).to_be_visible()

    page.get_by_label("Template").select_option(label="Welcome aboard")
    expect(page.get_by_label("Subject")).to_have_value("Welcome, {{contact_first_name}}")
    expect(page.locator(".rich-editor .ql-editor")).to_contain_text("Dear {{contact_name}}")

    # A variable goes where the cursor is.
    page.locator(".rich-editor .ql-editor").click()
    page.keyboard.press("End")
    page.get_by_role("button", name=re.compile(r"\{\{client_name\}\}")).click()
    expect(page.locator(".rich-editor .ql-editor")).to_contain_text("{{client_name}}")

    page.get_by_role("button", name="Preview for the first recipient").click()
    expect(page.locator("#preview-subject")).to_have_text("Welcome, Farhana")
    frame = page.frame_locator("#preview iframe")
    expect(frame.locator("body")).to_contain_text("Dear Farhana Akter")
    expect(frame.locator("body")).to_contain_text(contact.client.name)
    shoot(page, artifacts, "compose")

    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("Kept in the outbox — not delivered")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, Farhana", level=1)).to_be_visible()
    shoot(page, artifacts, "detail")

    page.get_by_role("link", name="Emails", exact=True).first.click()
    row = page.locator("tbody tr", has_text="Welcome, Farhana")
    expect(row).to_be_visible()
    expect(row.locator(".email-status:visible")).to_have_text("In outbox — not delivered")
    page.get_by_label("Search", exact=True).fill("farhana@meghna")
    expect(page).to_have_url(re.compile(r"[?&]q=farhana"))
    expect(page.locator("#result-count")).to_contain_text("1 email matches")
    shoot(page, artifacts, "history")

    page.get_by_role("link", name="Templates").first.click()
    expect(page.get_by_role("heading", name="Email templates")).to_be_visible()
    expect(page.locator("tbody tr", has_text="Welcome aboard")).to_contain_text("1×")
    shoot(page, artifacts, "templates")

    page.get_by_role("link", name="Welcome aboard").click()
    expect(page.locator(".rich-editor .ql-editor")).to_contain_text("Dear {{contact_name}}")
    page.locator("#preview-contact + .ts-wrapper input, #preview-contact-ts-control").first.fill(
        "Farhana"
    )
    page.locator(".ts-dropdown .option", has_text="Farhana Akter").click()
    expect(page.frame_locator("#preview iframe").locator("body")).to_contain_text(
        "Dear Farhana Akter"
    )
    # The preview follows the editor as you type.
    page.locator(".rich-editor .ql-editor").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" See you soon.")
    expect(page.frame_locator("#preview iframe").locator("body")).to_contain_text("See you soon.")
    source = page.locator("#id_body_html").input_value()
    assert "See you soon." in source and "&nbsp;" not in source
    shoot(page, artifacts, "template-form")

    assert real_problems(page) == []
