"""In a real browser, under the site's Content-Security-Policy (no inline script): a form
that asks before it submits, and a Copy button (core/static/core/actions.js)."""

import pytest

from forgecrm.accounts.models import ApiToken
from forgecrm.accounts.roles import MEMBER
from tests.e2e.signing_in import sign_in_with_session
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_revoking_a_token_asks_first_and_a_no_keeps_it(page, live_server):
    from playwright.sync_api import expect

    user = UserFactory(username="nusrat", role=MEMBER)
    sign_in_with_session(page, live_server, user)
    page.goto("/accounts/settings/")
    page.get_by_label("Name").fill("Zapier")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()

    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_timeout(300)
    assert questions == ["Revoke this token? Anything using it stops working."]
    assert ApiToken.objects.get().revoked_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".badge", has_text="revoked")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None


def test_the_calendar_url_is_copied_with_its_button(page, live_server):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_with_session(page, live_server, UserFactory(username="nusrat", role=MEMBER))
    page.goto("/calendar/feed/")
    page.get_by_role("button", name="Make my calendar URL").click()
    url = page.get_by_label("Your private calendar URL").input_value()

    page.get_by_role("button", name="Copy").click()

    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url


def test_the_api_documentation_renders_from_this_site(page, live_server):
    from playwright.sync_api import expect

    sign_in_with_session(page, live_server, UserFactory(username="nusrat", role=MEMBER))
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Forge CRM API")).to_be_visible()
    expect(page.get_by_text("/api/admin/crm/clients", exact=True).first).to_be_visible()
