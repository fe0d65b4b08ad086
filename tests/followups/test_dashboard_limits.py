"""The dashboard's sections show their first rows across both open statuses, soonest due
first, with the section's total (the rows are read per status and merged)."""

from datetime import UTC, datetime, timedelta

import pytest

from forgecrm.followups.models import FollowUpStatus
from forgecrm.followups.queries import SECTION_LIMIT, FollowUpFilters, dashboard
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def test_a_long_overdue_section_shows_the_oldest_of_either_open_status(django_assert_num_queries):
    statuses = [FollowUpStatus.PENDING, FollowUpStatus.IN_PROGRESS]
    for n in range(SECTION_LIMIT + 10):
        FollowUpFactory(
            title=f"Late {n:02d}",
            due_at=NOON - timedelta(hours=100 - n),
            status=statuses[n % 3 == 0],
        )
    FollowUpFactory(title="Closed", due_at=NOON - timedelta(days=30), status="completed")
    with django_assert_num_queries(4):  # the counts, ids per open status, the rows
        board = dashboard(FollowUpFilters(), user=None, now=NOON)
    assert board.counts["overdue"] == SECTION_LIMIT + 10
    assert [t.title for t in board.overdue] == [f"Late {n:02d}" for n in range(SECTION_LIMIT)]
    assert {t.status for t in board.overdue} == set(statuses)
    assert board.today == [] and board.upcoming == []
