"""Sequences in a browser: enroll a client's contact from its page in a ready-made sequence,
see the enrollment there and on the sequence's page; the pages fit a phone."""

import pytest

from forgecrm.followups import services
from forgecrm.followups.models import Enrollment, FollowUpRule, Sequence
from tests.e2e.signing_in import sign_in_with_session
from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


def test_enroll_a_contact_from_the_client_page(page, live_server, member, artifacts):
    services.ensure_default_sequences()
    rahim = contact_with_address(
        first_name="Rahim", last_name="Chowdhury", client__name="Acme Bangladesh Limited"
    )
    acme = rahim.client
    acme.primary_contact = rahim
    acme.save()
    sign_in_with_session(page, live_server, member)

    page.goto(acme.get_absolute_url())
    section = page.locator("#sequences")
    section.get_by_text("Not in any sequence.").wait_for()
    section.get_by_role("link", name="Enroll in a sequence").click()
    page.get_by_label("Sequence").select_option(label="New client onboarding")
    assert page.get_by_label("Rahim Chowdhury").is_checked()  # the primary contact
    page.screenshot(path=str(artifacts / "sequences-client-enroll.png"), full_page=True)
    page.get_by_role("button", name="Enroll").click()

    page.get_by_text("Enrolled in “New client onboarding”: Rahim Chowdhury.").wait_for()
    section = page.locator("#sequences")
    section.get_by_role("link", name="New client onboarding").wait_for()
    assert "Next: day 1, email “Welcome aboard”" in section.inner_text()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "sequences-client-section.png"))
    assert Enrollment.objects.get().contact == rahim

    section.get_by_role("link", name="New client onboarding").click()
    row = page.locator(".enrollment-row", has_text="Rahim Chowdhury")
    row.get_by_text("Active").wait_for()
    assert "Day 14:" in row.inner_text()
    page.screenshot(path=str(artifacts / "sequences-detail.png"), full_page=True)
    row.get_by_role("button", name="Pause").click()
    page.get_by_text("“New client onboarding” paused.").wait_for()
    assert Enrollment.objects.get().status == "paused"
    assert page.problems == []


def test_the_sequence_pages_on_a_phone(page, live_server, crm_admin, member, artifacts):
    services.ensure_default_sequences()
    onboarding = Sequence.objects.get(name="New client onboarding")
    people = [contact_with_address(first_name=f"Person{n}") for n in range(3)]
    services.enroll(sequence=onboarding, contacts=people, actor=member)
    services.enrollment_stop(enrollment=Enrollment.objects.first(), actor=member)
    for email_type, days in {"proposal": 3, "quote": 2, "outreach": 7}.items():
        FollowUpRule.objects.get_or_create(email_type=email_type, defaults={"days": days})
    page.set_viewport_size(PHONE)
    sign_in_with_session(page, live_server, crm_admin)
    for name, path in (
        ("list", "/admin/crm/followups/sequences/"),
        ("detail", f"/admin/crm/followups/sequences/{onboarding.pk}/"),
        ("edit", f"/admin/crm/followups/sequences/{onboarding.pk}/edit/"),
        ("enroll", f"/admin/crm/followups/sequences/{onboarding.pk}/enroll/"),
        ("rules", "/admin/crm/followups/rules/"),
    ):
        page.goto(path)
        page.locator("h1").wait_for()
        page.screenshot(path=str(artifacts / f"sequences-phone-{name}.png"), full_page=True)
        fits(page, name)

    page.goto(f"/admin/crm/followups/sequences/{onboarding.pk}/enroll/")
    picker = page.locator(".ts-control input")
    picker.fill("Person1")
    page.locator(".ts-dropdown .option", has_text="Person1").click()
    page.get_by_role("button", name="Enroll").click()
    page.get_by_text("not enrolled: already in this sequence.").wait_for()

    page.set_viewport_size({"width": 1280, "height": 900})
    for name, path in (
        ("list", "/admin/crm/followups/sequences/"),
        ("edit", f"/admin/crm/followups/sequences/{onboarding.pk}/edit/"),
        ("rules", "/admin/crm/followups/rules/"),
    ):
        page.goto(path)
        page.screenshot(path=str(artifacts / f"sequences-desktop-{name}.png"), full_page=True)
    assert page.problems == []
