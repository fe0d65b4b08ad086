"""Reminders, overdue follow-ups and clients not contacted: each fact notified once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from forgecrm.accounts.roles import MANAGER
from forgecrm.followups.models import FollowUpStatus
from forgecrm.notifications import services
from forgecrm.notifications.models import Notification, NotificationKind, TierCadence
from forgecrm.notifications.queries import silent_clients
from tests.factories import ClientFactory, UserFactory
from tests.followups.factories import FollowUpFactory
from tests.notifications.factories import NotificationFactory
from tests.timeline.factories import CommunicationFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 12:00 in Dhaka


def run_at(moment: datetime) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        return services.notify_all()


def titles(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


# ---- Reminders and overdue ---------------------------------------------------------------


def test_a_reminder_comes_when_its_time_has_come_and_only_once(member):
    task = FollowUpFactory(
        title="Call Rahim", assignee=member, due_at=NOON, remind_before=timedelta(hours=2)
    )
    run_at(NOON - timedelta(hours=2, minutes=1))
    assert titles(member) == []

    run_at(NOON - timedelta(hours=2))
    run_at(NOON - timedelta(hours=1))  # the worker runs again: nothing new
    [reminder] = Notification.objects.filter(user=member)
    assert reminder.kind == NotificationKind.REMINDER
    assert reminder.title == "Reminder: Call Rahim"
    assert "due Tue 10 Mar, 12:00" in reminder.body  # in the member's zone (Dhaka)
    assert reminder.url == f"/admin/crm/followups/?client={task.client_id}#followup-{task.pk}"


def test_a_rescheduled_follow_up_is_reminded_again(member):
    task = FollowUpFactory(assignee=member, due_at=NOON, remind_before=timedelta(hours=1))
    run_at(NOON - timedelta(minutes=30))
    task.due_at = NOON + timedelta(days=1)
    task.save()
    run_at(NOON + timedelta(days=1) - timedelta(minutes=30))
    assert Notification.objects.filter(user=member, kind="reminder").count() == 2


def test_overdue_is_notified_once_when_the_due_time_passes(member):
    FollowUpFactory(title="Send the quote", assignee=member, due_at=NOON)
    assert run_at(NOON - timedelta(seconds=1))["overdue"] == 0
    assert run_at(NOON + timedelta(minutes=1))["overdue"] == 1
    assert run_at(NOON + timedelta(minutes=2))["overdue"] == 0
    assert titles(member) == ["Overdue: Send the quote"]


def test_closed_follow_ups_and_long_overdue_ones_are_not_notified(member):
    FollowUpFactory(assignee=member, due_at=NOON, status=FollowUpStatus.COMPLETED)
    FollowUpFactory(assignee=member, due_at=NOON - timedelta(days=3))  # went overdue long ago
    run_at(NOON + timedelta(minutes=1))
    assert titles(member) == []


def test_without_an_assignee_the_clients_owner_is_told_else_nobody(member):
    FollowUpFactory(title="Owner's", client=ClientFactory(owner=member), due_at=NOON)
    FollowUpFactory(title="Nobody's", client=ClientFactory(owner=None), due_at=NOON)
    run_at(NOON + timedelta(minutes=1))
    assert titles(member) == ["Overdue: Owner's"]
    assert Notification.objects.count() == 1


def test_a_deleted_clients_follow_ups_are_not_notified(member):
    client = ClientFactory(owner=member)
    FollowUpFactory(client=client, assignee=member, due_at=NOON)
    client.deleted_at = NOON
    client.save()
    run_at(NOON + timedelta(minutes=1))
    assert titles(member) == []


# ---- Not contacted -----------------------------------------------------------------------


def client_silent_for(days: int, *, tier: str, **fields):
    created = NOON - timedelta(days=400)
    client = ClientFactory(tier=tier, **fields)
    type(client).all_objects.filter(pk=client.pk).update(created_at=created)
    CommunicationFactory(client=client, occurred_at=NOON - timedelta(days=days))
    return client


def test_each_tier_has_its_own_cadence(member):
    late_platinum = client_silent_for(15, tier="platinum", owner=member, name="Platinum 15")
    client_silent_for(13, tier="platinum", owner=member, name="Platinum 13")
    client_silent_for(29, tier="silver", owner=member, name="Silver 29")
    late_silver = client_silent_for(31, tier="silver", owner=member, name="Silver 31")
    client_silent_for(44, tier="bronze", owner=member, name="Bronze 44")
    client_silent_for(90, tier="gold", owner=member, name="Prospect", status="prospect")

    with time_machine.travel(NOON, tick=False):
        assert [c.name for c in silent_clients()] == ["Silver 31", "Platinum 15"]
    run_at(NOON)
    assert sorted(titles(member)) == [
        f"{late_platinum.name}: no contact for 15 days",
        f"{late_silver.name}: no contact for 31 days",
    ]


def test_an_admin_changes_a_tiers_cadence(member):
    client_silent_for(10, tier="platinum", owner=member)
    TierCadence.objects.filter(tier="platinum").update(days=7)
    with time_machine.travel(NOON, tick=False):
        assert silent_clients().count() == 1


def test_once_per_silent_stretch_and_a_new_contact_resets_it(member):
    client = client_silent_for(20, tier="platinum", owner=member)
    run_at(NOON)
    run_at(NOON + timedelta(days=1))
    assert Notification.objects.filter(user=member).count() == 1

    CommunicationFactory(client=client, occurred_at=NOON + timedelta(days=2))
    run_at(NOON + timedelta(days=10))  # 8 days since: fine
    assert Notification.objects.filter(user=member).count() == 1
    run_at(NOON + timedelta(days=17))  # 15 days since the new contact: a new stretch
    assert Notification.objects.filter(user=member).count() == 2


def test_a_client_never_contacted_is_silent_since_it_was_added(member):
    client = ClientFactory(tier="platinum", owner=member, name="New and quiet")
    type(client).all_objects.filter(pk=client.pk).update(created_at=NOON - timedelta(days=15))
    ClientFactory(tier="platinum", owner=member, name="Added today")
    run_at(NOON)
    assert titles(member) == ["New and quiet: never contacted"]


def test_without_an_owner_every_manager_is_told():
    managers = [UserFactory(role=MANAGER), UserFactory(role=MANAGER)]
    member = UserFactory(role="member")
    client_silent_for(50, tier="bronze", owner=None)
    run_at(NOON)
    assert Notification.objects.filter(user__in=managers).count() == 2
    assert not Notification.objects.filter(user=member).exists()


def test_the_silent_query_is_one_query_whatever_the_number_of_clients(
    django_assert_num_queries,
):
    for n in range(30):
        client_silent_for(60 + n, tier="bronze")
    with time_machine.travel(NOON, tick=False), django_assert_num_queries(2):
        rows = list(silent_clients())  # the cadences, then the clients
    assert len(rows) == 30
    assert all(row.last_contact is not None for row in rows)


def test_running_twice_at_once_notifies_once(member):
    """Two workers racing: the second finds every fact notified (unique keys)."""
    client_silent_for(50, tier="bronze", owner=member)
    FollowUpFactory(assignee=member, due_at=NOON)
    first, second = run_at(NOON + timedelta(minutes=1)), run_at(NOON + timedelta(minutes=1))
    assert first == {"reminders": 0, "overdue": 1, "not_contacted": 1, "important_dates": 0}
    assert second == {"reminders": 0, "overdue": 0, "not_contacted": 0, "important_dates": 0}
    assert Notification.objects.filter(user=member).count() == 2


def test_the_worker_task_runs_the_producers(member):
    from forgecrm.notifications.tasks import notify

    FollowUpFactory(assignee=member, due_at=timezone.now() - timedelta(minutes=1))
    notify.call_local()
    assert Notification.objects.filter(user=member, kind="overdue").count() == 1


def test_read_notifications_are_forgotten_after_90_days(member):
    old = NotificationFactory(user=member, read_at=NOON - timedelta(days=91))
    recent = NotificationFactory(user=member, read_at=NOON - timedelta(days=89))
    unread = NotificationFactory(user=member, created_at=NOON - timedelta(days=200))
    assert services.purge_old(now=NOON) == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {recent.pk, unread.pk}
    assert not Notification.objects.filter(pk=old.pk).exists()


# ---- Important dates ---------------------------------------------------------------------


def test_the_clients_owner_is_reminded_of_an_important_date_its_days_before_once(member):
    from tests.events.factories import ImportantDateFactory

    company = ClientFactory(name="Meghna Foods", owner=member)
    launch = ImportantDateFactory(
        name="App launch",
        date=datetime(2026, 3, 13).date(),
        recurrence="none",
        client=company,
        notify_days_before=3,
        send_greeting=True,
    )
    run_at(NOON - timedelta(days=1))  # 4 days before
    assert titles(member) == []

    run_at(NOON)
    run_at(NOON + timedelta(days=1))  # again the next day: nothing new
    [reminder] = Notification.objects.filter(user=member)
    assert reminder.kind == NotificationKind.IMPORTANT_DATE
    assert reminder.title == "App launch in 3 days, Fri 13 Mar"
    assert reminder.body == "Meghna Foods · a greeting will be prepared for approval"
    assert reminder.url == launch.get_absolute_url()


def test_an_important_date_of_no_owners_client_reminds_every_manager_on_the_day(member):
    from tests.events.factories import ImportantDateFactory

    managers = [UserFactory(role=MANAGER), UserFactory(role=MANAGER)]
    ImportantDateFactory(
        name="Office anniversary",
        date=datetime(2020, 3, 10).date(),
        recurrence="yearly",
        notify_days_before=0,
    )
    run_at(NOON - timedelta(days=1))
    assert not Notification.objects.exists()

    run_at(NOON)
    assert {n.user for n in Notification.objects.all()} == set(managers)
    assert set(Notification.objects.values_list("title", flat=True)) == {
        "Office anniversary today, Tue 10 Mar"
    }
    assert titles(member) == []


def test_a_reminder_for_a_client_whose_owner_left_goes_to_the_managers():
    from tests.events.factories import ImportantDateFactory

    left = UserFactory(is_active=False)
    manager = UserFactory(role=MANAGER)
    ImportantDateFactory(
        name="Renewal talk",
        date=datetime(2026, 3, 10).date(),
        recurrence="none",
        client=ClientFactory(owner=left),
        notify_days_before=0,
    )
    run_at(NOON)
    assert titles(manager) == ["Renewal talk today, Tue 10 Mar"]
    assert titles(left) == []


def test_a_producer_that_fails_does_not_stop_the_others(member, monkeypatch):
    def broken(*, now):
        raise RuntimeError("a row it cannot handle")

    monkeypatch.setitem(services.PRODUCERS, "reminders", broken)
    FollowUpFactory(assignee=member, due_at=NOON)
    made = run_at(NOON + timedelta(minutes=1))
    assert made["reminders"] == 0 and made["overdue"] == 1
    assert titles(member) != []
