"""Follow-up writes and the dashboard's sections."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from auditlog.models import LogEntry

from forgecrm.accounts.models import UserProfile
from forgecrm.followups import queries, services
from forgecrm.followups.models import FollowUpSource, FollowUpStatus, FollowUpTask
from forgecrm.followups.queries import FollowUpFilters
from forgecrm.timeline.models import Communication, CommunicationType
from tests.factories import ClientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_follow_up_becomes_overdue_when_its_due_time_passes(member):
    with time_machine.travel(NOON, tick=False):
        task = FollowUpFactory(due_at=NOON + timedelta(hours=1))
        assert not task.is_overdue
        assert queries.dashboard(FollowUpFilters(), user=member).today == [task]
    with time_machine.travel(NOON + timedelta(hours=1, minutes=1), tick=False):
        task.refresh_from_db()
        assert task.is_overdue and task.effective_status == "overdue"
        board = queries.dashboard(FollowUpFilters(), user=member)
        assert board.overdue == [task] and board.today == []
        assert list(queries.followup_list(FollowUpFilters(status="overdue"))) == [task]
        assert task.status == FollowUpStatus.PENDING  # never stored


def test_the_dashboard_sorts_into_overdue_today_and_the_next_seven_days(member):
    UserProfile.objects.update_or_create(user=member, defaults={"timezone": "Asia/Dhaka"})
    member.refresh_from_db()  # UTC+6: today ends at 18:00 UTC
    with time_machine.travel(NOON, tick=False):
        overdue = FollowUpFactory(due_at=NOON - timedelta(days=2))
        today = FollowUpFactory(due_at=NOON + timedelta(hours=5))
        tomorrow_local = FollowUpFactory(due_at=NOON + timedelta(hours=7))
        in_six_days = FollowUpFactory(due_at=NOON + timedelta(days=6))
        FollowUpFactory(due_at=NOON + timedelta(days=9))  # too far
        FollowUpFactory(due_at=NOON - timedelta(days=1), status=FollowUpStatus.COMPLETED)
        board = queries.dashboard(FollowUpFilters(), user=member)
    assert board.overdue == [overdue]
    assert board.today == [today]
    assert board.upcoming == [tomorrow_local, in_six_days]


def test_dashboard_filters(member):
    acme = ClientFactory()
    mine = FollowUpFactory(client=acme, assignee=member, priority="high", task_type="email")
    FollowUpFactory(priority="high", task_type="email")
    FollowUpFactory(client=acme, priority="low")
    board = queries.dashboard(
        FollowUpFilters(client=acme.pk, priority="high", task_type="email", assignee=member.pk),
        user=member,
    )
    assert board.today + board.upcoming == [mine]


def test_create_complete_reschedule_and_skip_are_audited(member):
    client = ClientFactory()
    task = services.followup_create(
        fields={"client": client, "title": "Send the quote", "task_type": "email", "due_at": NOON},
        actor=member,
    )
    assert task.source == FollowUpSource.MANUAL
    services.followup_reschedule(task=task, due_at=NOON + timedelta(days=2), actor=member)
    assert FollowUpTask.objects.get().due_at == NOON + timedelta(days=2)
    services.followup_complete(task=task, actor=member)
    task.refresh_from_db()
    assert task.status == FollowUpStatus.COMPLETED and task.completed_at
    with pytest.raises(services.NotOpen):
        services.followup_skip(task=task, reason="late", actor=member)

    other = FollowUpFactory()
    services.followup_skip(task=other, reason="  Client on holiday ", actor=member)
    other.refresh_from_db()
    assert other.status == FollowUpStatus.CANCELLED and other.skip_reason == "Client on holiday"
    actors = set(LogEntry.objects.get_for_object(task).values_list("actor", flat=True))
    assert actors == {member.pk}


def test_skip_needs_a_reason(member):
    with pytest.raises(ValueError):
        services.followup_skip(task=FollowUpFactory(), reason=" ", actor=member)


def test_convert_logs_a_task_on_the_timeline_and_completes(member):
    task = FollowUpFactory(notes="Ask about the logo")
    entry = services.followup_convert(task=task, actor=member)
    assert entry.kind == CommunicationType.TASK and entry.client_id == task.client_id
    assert Communication.objects.get().content == "Ask about the logo"
    task.refresh_from_db()
    assert task.status == FollowUpStatus.COMPLETED


def test_bulk_complete_and_reschedule_skip_closed_ones(member):
    tasks = FollowUpFactory.create_batch(3)
    done = FollowUpFactory(status=FollowUpStatus.COMPLETED)
    new_due = NOON + timedelta(days=30)
    assert (
        services.followups_reschedule_bulk(tasks=[*tasks, done], due_at=new_due, actor=member) == 3
    )
    assert FollowUpTask.objects.filter(due_at=new_due).count() == 3
    assert services.followups_complete_bulk(tasks=[*tasks, done], actor=member) == 3
    assert FollowUpTask.objects.filter(status=FollowUpStatus.COMPLETED).count() == 4


def test_a_long_overdue_list_never_hides_today(member):
    with time_machine.travel(NOON, tick=False):
        FollowUpFactory.create_batch(4, due_at=NOON - timedelta(days=1))
        today = FollowUpFactory(due_at=NOON + timedelta(minutes=5))
        board = queries.dashboard(FollowUpFilters(), user=member, limit=2)
    assert len(board.overdue) == 2 and board.today == [today]
    assert board.counts == {"overdue": 4, "today": 1, "upcoming": 0}
