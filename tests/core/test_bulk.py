"""insert_many writes what bulk_create would: defaults, timestamps, foreign keys, Bengali."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from forgecrm.clients.models import Client
from forgecrm.core.bulk import insert_many, update_many
from forgecrm.followups.models import FollowUpTask

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
COMPARED = (
    "client_id",
    "title",
    "task_type",
    "priority",
    "due_at",
    "remind_before",
    "status",
    "notes",
    "assignee_id",
    "source",
    "email_id",
    "completed_at",
    "created_at",
    "updated_at",
)


def tasks(client: Client, title: str) -> list[FollowUpTask]:
    return [
        FollowUpTask(
            client=client, title=f"{title} {n}", task_type="call", due_at=NOW + timedelta(days=n)
        )
        for n in range(3)
    ]


def test_rows_are_the_ones_bulk_create_writes():
    client = Client.objects.create(name="রহিম ট্রেডার্স")
    with time_machine.travel(NOW, tick=False):
        FollowUpTask.objects.bulk_create(tasks(client, "ফোন করুন"))
        insert_many(tasks(client, "ফোন করুন"))

    rows = list(FollowUpTask.objects.order_by("id").values(*COMPARED))
    assert rows[3:] == rows[:3]
    assert rows[0]["priority"] == "medium" and rows[0]["created_at"] == NOW
    assert [r["title"] for r in rows[3:]] == ["ফোন করুন 0", "ফোন করুন 1", "ফোন করুন 2"]


def test_nothing_to_insert_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_many([])


def test_update_many_writes_the_named_fields_and_leaves_the_others():
    client = Client.objects.create(name="রহিম ট্রেডার্স")
    with time_machine.travel(NOW, tick=False):
        FollowUpTask.objects.bulk_create(tasks(client, "ফোন করুন"))
    first, second, third = FollowUpTask.objects.order_by("id")
    for task in (first, second):
        task.status, task.completed_at, task.title = "completed", NOW, "not saved"

    update_many([first, second], ["status", "completed_at"])

    rows = list(FollowUpTask.objects.order_by("id").values_list("status", "completed_at", "title"))
    assert rows == [
        ("completed", NOW, "ফোন করুন 0"),
        ("completed", NOW, "ফোন করুন 1"),
        ("pending", None, "ফোন করুন 2"),
    ]
