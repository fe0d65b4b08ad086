"""The notification centre in a real browser: the bell's count, its dropdown, reading an
item, and a desktop alert for a new overdue follow-up."""

import pytest

from forgecrm.notifications.models import Notification
from tests.e2e.signing_in import sign_in_with_session
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Records every desktop alert the page makes, still making the real one.
RECORD_ALERTS = """
(() => {
  const Real = window.Notification;
  window.__alerts = [];
  function Recording(title, options) {
    window.__alerts.push({ title, body: options && options.body, tag: options && options.tag });
    return new Real(title, options);
  }
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
})();
"""


def count(page) -> str:
    return page.get_by_test_id("notification-count").inner_text().replace("unread", "").strip()


def test_the_bell_lists_and_reads_notifications(page, live_server, member, artifacts):
    NotificationFactory(user=member, kind="reminder", title="Reminder: Call Rahim at Acme")
    NotificationFactory(
        user=member,
        title="Overdue: Send the quote to Padma Textiles",
        body="Padma Textiles · due Tue 10 Mar, 12:00",
        url="/admin/crm/followups/",
    )
    sign_in_with_session(page, live_server, member)
    page.goto("/admin/crm/")
    assert count(page) == "2"

    page.get_by_role("button", name="Notifications").click()
    item = page.get_by_role("button", name="Overdue: Send the quote to Padma Textiles")
    item.wait_for()
    page.screenshot(path=str(artifacts / "notifications-dropdown.png"))
    item.click()
    page.wait_for_url("**/admin/crm/followups/")
    assert count(page) == "1"

    page.get_by_role("button", name="Notifications").click()
    page.get_by_role("button", name="Mark all read").click()
    page.get_by_test_id("notification-count").wait_for(state="hidden")
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert page.problems == []


def test_the_bell_on_a_phone(page, live_server, member, artifacts):
    NotificationFactory.create_batch(3, user=member)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_session(page, live_server, member)
    page.goto("/admin/crm/")
    page.get_by_role("button", name="Notifications").click()
    page.get_by_test_id("notification-item").first.wait_for()
    page.screenshot(path=str(artifacts / "notifications-phone.png"))
    box = page.locator(".notification-menu").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/admin/crm/notifications/")
    page.screenshot(path=str(artifacts / "notifications-list-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_a_desktop_alert_for_a_new_overdue_follow_up(page, live_server, member):
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.context.add_init_script(RECORD_ALERTS)
    page.clock.install()
    NotificationFactory(user=member, title="Overdue: old news")
    sign_in_with_session(page, live_server, member)
    page.goto("/admin/crm/")
    page.get_by_role("button", name="Notifications").click()
    page.get_by_role("button", name="Enable desktop alerts").click()
    page.get_by_role("button", name="Enable desktop alerts").wait_for(state="hidden")

    fresh = NotificationFactory(user=member, kind="overdue", title="Overdue: Call Rahim")
    page.clock.run_for(61_000)  # the next poll
    page.wait_for_function("() => window.__alerts.length > 0")
    page.clock.run_for(61_000)  # and another: nothing twice
    page.wait_for_timeout(300)
    alerts = page.evaluate("window.__alerts")
    assert alerts == [
        {"title": "Overdue: Call Rahim", "body": fresh.body, "tag": f"forgecrm-{fresh.pk}"}
    ]
    assert count(page) == "2"

    # Another tab, opened later, does not show it again.
    other = page.context.new_page()
    with other.expect_response("**/notifications/alerts/**"):
        other.goto(f"{live_server.url}/admin/crm/")
    other.wait_for_timeout(300)
    assert other.evaluate("window.__alerts") == []
    assert page.problems == []


def test_a_burst_of_desktop_alerts_is_shown_whole(page, live_server, member):
    """More alerts than the feed gives in one answer: the page asks again at once."""
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.context.add_init_script(RECORD_ALERTS)
    page.clock.install()
    sign_in_with_session(page, live_server, member)
    page.goto("/admin/crm/")
    page.get_by_role("button", name="Notifications").click()
    page.get_by_role("button", name="Enable desktop alerts").click()
    page.get_by_role("button", name="Enable desktop alerts").wait_for(state="hidden")

    burst = NotificationFactory.create_batch(25, user=member, kind="reminder")
    page.clock.run_for(61_000)
    page.wait_for_function("() => window.__alerts.length >= 25")
    page.wait_for_timeout(300)
    tags = [alert["tag"] for alert in page.evaluate("window.__alerts")]
    assert tags == [f"forgecrm-{n.pk}" for n in burst]
    assert page.problems == []


def test_not_contacted_clients_and_their_cadence_on_a_phone(
    page, live_server, crm_admin, artifacts
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ClientFactory
    from tests.timeline.factories import CommunicationFactory

    quiet = ClientFactory(name="Padma Textiles Limited", tier="gold", owner=crm_admin)
    type(quiet).all_objects.filter(pk=quiet.pk).update(
        created_at=timezone.now() - timedelta(days=300)
    )
    CommunicationFactory(client=quiet, occurred_at=timezone.now() - timedelta(days=18))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_session(page, live_server, crm_admin)
    page.goto("/admin/crm/")
    page.get_by_test_id("not-contacted-widget").wait_for()
    assert "Padma Textiles" not in page.get_by_test_id("not-contacted-widget").inner_text()

    page.goto("/admin/crm/notifications/settings/")
    page.get_by_label("Gold").fill("15")
    page.screenshot(path=str(artifacts / "notifications-settings-phone.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Contact cadences saved.").wait_for()

    page.goto("/admin/crm/notifications/not-contacted/")
    page.get_by_test_id("silent-client").filter(has_text="Padma Textiles Limited").wait_for()
    page.screenshot(path=str(artifacts / "notifications-not-contacted-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/admin/crm/")
    page.get_by_test_id("not-contacted-widget").get_by_text("Padma Textiles Limited").wait_for()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(artifacts / "notifications-dashboard.png"), full_page=True)
    assert page.problems == []
