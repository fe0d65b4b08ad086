"""In a real browser: a contact's name or quoted e-mail address is text in the recipient
picker, never markup (a member could otherwise plant script for an admin who writes to it)."""

import pytest

from forgecrm.accounts.roles import ADMIN
from forgecrm.clients.models import ContactEmail
from tests.e2e.signing_in import sign_in_with_session
from tests.factories import ContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ATTRIBUTE_BREAKOUT = (
    '" style="animation-name:spinner-border;animation-duration:1s" '
    "onanimationstart=\"alert('planted')//"
)


def test_a_name_or_address_with_quotes_stays_text_in_the_recipient_picker(page, live_server):
    from playwright.sync_api import expect

    contact = ContactFactory(first_name="Rahim", last_name=ATTRIBUTE_BREAKOUT)
    ContactEmail.objects.create(
        contact=contact, email='"onmouseover=alert(1)//"@acme.example', is_primary=True
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_with_session(page, live_server, UserFactory(username="boss", role=ADMIN))

    page.goto(f"/admin/crm/emails/compose?client={contact.client_id}&contact={contact.pk}")
    item = page.locator(".ts-wrapper .item").first
    expect(item).to_contain_text("animation-name:spinner-border")  # shown, as text
    item.hover()
    page.wait_for_timeout(1200)  # the planted animation would have run by now

    assert dialogs == []
    assert item.evaluate("element => element.getAttribute('onanimationstart')") is None
    assert ATTRIBUTE_BREAKOUT in (item.get_attribute("title") or "") + item.inner_text()
