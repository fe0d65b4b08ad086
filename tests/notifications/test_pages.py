"""The notification centre: the bell in the header, its dropdown, the full list, marking
read, the desktop-alert feed, clients not contacted and the cadence settings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forgecrm.notifications.models import Notification, TierCadence
from tests.factories import ClientFactory
from tests.notifications.factories import NotificationFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_bell_shows_the_unread_count_on_every_page(member_client, member):
    NotificationFactory.create_batch(3, user=member)
    NotificationFactory(user=member, read_at=timezone.now())
    NotificationFactory()  # somebody else's
    html = member_client.get("/admin/crm/").content.decode()
    assert 'id="notification-bell"' in html
    assert 'data-testid="notification-count">3<' in html
    assert "notifications/alerts.js" in html


def test_no_bell_without_a_role(outsider, client):
    client.force_login(outsider)
    assert 'id="notification-bell"' not in client.get("/admin/crm/").content.decode()


def test_the_dropdown_lists_the_latest_in_a_fixed_number_of_queries(
    member_client, member, django_assert_max_num_queries
):
    NotificationFactory(user=member, title="Overdue: Call Rahim")
    with django_assert_max_num_queries(20) as few:
        member_client.get("/admin/crm/notifications/dropdown/", **HTMX)
    NotificationFactory.create_batch(20, user=member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get("/admin/crm/notifications/dropdown/", **HTMX)
    html = response.content.decode()
    assert html.count('data-testid="notification-item"') == 8
    assert "Mark all read" in html
    assert 'id="notification-count" hx-swap-oob="true"' in html and ">21<" in html


def test_following_a_notification_marks_it_read_and_goes_there(member_client, member):
    item = NotificationFactory(user=member, url="/admin/crm/followups/?client=7#followup-3")
    response = member_client.post(f"/admin/crm/notifications/{item.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/crm/followups/?client=7#followup-3"
    item.refresh_from_db()
    assert item.read_at is not None


def test_a_notification_never_sends_anyone_to_another_site(member_client, member):
    item = NotificationFactory(user=member, url="//evil.example/phish")
    response = member_client.post(f"/admin/crm/notifications/{item.pk}/open/")
    assert response["Location"] == "/admin/crm/notifications/"


def test_nobody_opens_or_reads_anothers_notification(member_client):
    theirs = NotificationFactory()
    assert member_client.post(f"/admin/crm/notifications/{theirs.pk}/open/").status_code == 404
    assert member_client.post(f"/admin/crm/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_from_the_dropdown(member_client, member):
    NotificationFactory.create_batch(2, user=member)
    other = NotificationFactory()
    html = member_client.post("/admin/crm/notifications/read-all/", **HTMX).content.decode()
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert 'data-testid="notification-count">0<' in html and "text-bg-danger d-none" in html
    other.refresh_from_db()
    assert other.read_at is None


def test_the_full_list_is_paginated_and_marks_one_read(
    member_client, member, django_assert_max_num_queries
):
    NotificationFactory.create_batch(30, user=member)
    with django_assert_max_num_queries(20):
        html = member_client.get("/admin/crm/notifications/").content.decode()
    assert html.count('data-testid="notification-item"') == 25
    assert "Page 1 of 2" in html and "30 unread" in html
    newest = Notification.objects.filter(user=member).first()
    member_client.post(
        f"/admin/crm/notifications/{newest.pk}/read/", {"next": "/admin/crm/notifications/?page=2"}
    )
    newest.refresh_from_db()
    assert newest.read_at is not None
    html = member_client.get("/admin/crm/notifications/", {"page": 2}).content.decode()
    assert html.count('data-testid="notification-item"') == 5


def test_the_empty_list(member_client):
    html = member_client.get("/admin/crm/notifications/").content.decode()
    assert 'data-testid="notifications-empty"' in html


def test_a_viewer_opens_and_marks_read_their_own_notifications(viewer_client, viewer):
    item, other, third = NotificationFactory.create_batch(3, user=viewer, url="/admin/crm/clients/")
    html = viewer_client.get("/admin/crm/notifications/").content.decode()
    assert f'action="/admin/crm/notifications/{item.pk}/open/"' in html
    assert "Mark all read" in html
    response = viewer_client.post(f"/admin/crm/notifications/{item.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/admin/crm/clients/"
    assert viewer_client.post(f"/admin/crm/notifications/{other.pk}/read/").status_code == 302
    assert Notification.objects.filter(user=viewer, read_at__isnull=True).get() == third
    assert viewer_client.post("/admin/crm/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=viewer, read_at__isnull=True).exists()


def test_the_alert_feed_gives_new_due_items_once(member_client, member):
    NotificationFactory(user=member, kind="overdue")
    first = member_client.get("/admin/crm/notifications/alerts/").json()
    assert first["items"] == [] and first["unread"] == 1  # turning on replays nothing
    new = NotificationFactory(user=member, kind="reminder", title="Reminder: Call Rahim")
    NotificationFactory(user=member, kind="not_contacted")  # not a desktop alert
    NotificationFactory(user=member, kind="overdue", read_at=timezone.now())
    data = member_client.get("/admin/crm/notifications/alerts/", {"after": first["latest"]}).json()
    assert [item["title"] for item in data["items"]] == ["Reminder: Call Rahim"]
    assert data["items"][0]["url"] == f"/admin/crm/notifications/{new.pk}/open/"
    again = member_client.get("/admin/crm/notifications/alerts/", {"after": data["latest"]}).json()
    assert again["items"] == []


def test_a_burst_of_alerts_comes_whole_page_by_page_oldest_first(member_client, member):
    start = member_client.get("/admin/crm/notifications/alerts/").json()["latest"]
    burst = NotificationFactory.create_batch(45, user=member, kind="overdue")
    seen, after, answers = [], start, 0
    while True:
        data = member_client.get("/admin/crm/notifications/alerts/", {"after": after}).json()
        answers += 1
        seen += [item["id"] for item in data["items"]]
        after = data["latest"]
        if not data["more"]:
            break
    assert seen == [n.pk for n in burst]
    assert answers == 3  # 20 + 20 + 5


def test_the_not_contacted_list_and_the_dashboard_widget(member_client, member):
    quiet = ClientFactory(name="Quiet Gold Ltd", tier="gold", owner=member)
    CommunicationFactory(client=quiet, occurred_at=timezone.now() - timedelta(days=40))
    type(quiet).all_objects.filter(pk=quiet.pk).update(
        created_at=timezone.now() - timedelta(days=90)
    )
    chatty = ClientFactory(name="Chatty Gold Ltd", tier="gold")
    CommunicationFactory(client=chatty, occurred_at=timezone.now() - timedelta(days=2))
    html = member_client.get("/admin/crm/notifications/not-contacted/").content.decode()
    assert "Quiet Gold Ltd" in html and "Chatty Gold Ltd" not in html
    assert html.count('data-testid="silent-client"') == 1
    dashboard = member_client.get("/admin/crm/").content.decode()
    assert "Not contacted for too long" in dashboard
    assert 'hx-get="/admin/crm/notifications/not-contacted/widget/"' in dashboard
    widget = member_client.get("/admin/crm/notifications/not-contacted/widget/", **HTMX)
    assert "Quiet Gold Ltd" in widget.content.decode() and "Chatty" not in widget.content.decode()
    assert ">1</span> active client waiting" in widget.content.decode()
    mine = member_client.get("/admin/crm/notifications/not-contacted/", {"mine": "on"})
    assert "Quiet Gold Ltd" in mine.content.decode()


def test_only_admins_change_the_cadences(admin_client_, member_client, crm_admin):
    assert member_client.get("/admin/crm/notifications/settings/").status_code == 403
    html = admin_client_.get("/admin/crm/notifications/settings/").content.decode()
    assert 'name="platinum"' in html and 'value="14"' in html
    values = {"platinum": 10, "gold": 20, "silver": 30, "bronze": 60}
    response = admin_client_.post("/admin/crm/notifications/settings/", values, follow=True)
    assert "Contact cadences saved." in response.content.decode()
    assert dict(TierCadence.objects.values_list("tier", "days")) == values


def test_a_cadence_must_be_a_positive_number_of_days(admin_client_):
    values = {"platinum": 0, "gold": 20, "silver": "", "bronze": 60}
    html = admin_client_.post("/admin/crm/notifications/settings/", values).content.decode()
    assert "greater than or equal to 1" in html and "This field is required" in html
    assert TierCadence.objects.get(tier="platinum").days == 14
