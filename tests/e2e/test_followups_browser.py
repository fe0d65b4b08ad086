"""The follow-up dashboard on a phone: sections readable, Complete works in place (htmx)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forgecrm.followups.models import FollowUpStatus
from tests.e2e.signing_in import sign_in_with_session
from tests.factories import ClientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_complete_a_follow_up_on_a_phone(page, live_server, member, artifacts):
    now = timezone.now()
    acme = ClientFactory(name="Acme Bangladesh Limited")
    late = FollowUpFactory(
        client=acme,
        title="Chase the signed proposal for the new website",
        due_at=now - timedelta(days=2),
        priority="urgent",
        notes="They asked for a discount on hosting.",
        assignee=member,
    )
    FollowUpFactory(client=acme, title="Call about the logo", due_at=now + timedelta(minutes=30))
    FollowUpFactory(title="Send the quote", due_at=now + timedelta(days=3), priority="high")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_session(page, live_server, member)
    page.goto("/admin/crm/followups/")
    page.get_by_role("heading", name="Follow-ups").wait_for()
    page.screenshot(path=str(artifacts / "followups-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"

    row = page.locator(f"#followup-{late.pk}")
    row.locator("summary", has_text="Skip").click()
    row.get_by_placeholder("Why skip it?").wait_for()
    page.screenshot(path=str(artifacts / "followups-phone-skip.png"))
    row.get_by_role("button", name="Complete").click()
    page.get_by_text("completed.").wait_for()
    late.refresh_from_db()
    assert late.status == FollowUpStatus.COMPLETED
    assert page.problems == []
