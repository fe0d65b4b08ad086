"""Shapes of the follow-ups API. Bodies are loose: forms.FollowUpForm does the validation."""

from datetime import datetime, timedelta
from typing import Any

from django.forms import model_to_dict
from ninja import Field, Schema

from forgecrm.clients.schemas import LooseIn, Text, UserRef
from forgecrm.core.api import ObjectId, PageParams
from forgecrm.followups.forms import FollowUpForm
from forgecrm.followups.models import FollowUpStatus, FollowUpTask, FollowUpType, Priority
from forgecrm.followups.queries import FollowUpFilters

# The API says "type" where the model says "task_type".
API_NAMES = {"task_type": "type"}


class FollowUpQuery(PageParams):
    client: ObjectId | None = None
    type: FollowUpType | None = None
    priority: Priority | None = None
    assignee: ObjectId | None = None
    status: str = Field(
        "", description="pending, in-progress, completed, cancelled, open or overdue."
    )

    def to_filters(self) -> FollowUpFilters:
        return FollowUpFilters(
            client=self.client,
            task_type=self.type or "",
            priority=self.priority or "",
            assignee=self.assignee,
            status=self.status,
        )


STATUS_FILTERS = {*FollowUpStatus.values, "open", "overdue"}


class FollowUpIn(LooseIn):
    """A follow-up. `client`, `title`, `type` and `due_at` are required to create one."""

    client: ObjectId | None = None
    contact: ObjectId | None = None
    title: Text = None
    type: Text = Field(None, examples=[FollowUpType.CALL.value])
    priority: Text = Field(None, examples=[Priority.MEDIUM.value])
    due_at: Text = Field(None, examples=["2026-04-14T10:30:00+06:00"])
    remind_before: Text = Field(None, description="e.g. `1 00:00:00` (one day) or `P1D`.")
    notes: Text = None
    assignee: ObjectId | None = None
    status: Text = Field(None, description="pending or in-progress.")

    def form_data(self, task: FollowUpTask | None = None) -> dict[str, Any]:
        """The form's data: what was sent over the task's values (or the defaults)."""
        data = model_to_dict(task or FollowUpTask(), fields=FollowUpForm._meta.fields)
        data.pop("status", None)  # completing and skipping have their own endpoints
        sent = self.model_dump(exclude_unset=True)
        if "type" in sent:
            sent["task_type"] = sent.pop("type")
        data.update(sent)
        return {name: "" if value is None else value for name, value in data.items()}


class RescheduleIn(Schema):
    due_at: datetime


class SkipIn(Schema):
    reason: str = Field(description="Why the follow-up is skipped.")


class Ref(Schema):
    id: int
    name: str


class FollowUpOut(Schema):
    id: int
    client: Ref
    contact_id: int | None
    title: str
    type: str = Field(alias="task_type")
    priority: str
    due_at: datetime
    remind_before: timedelta | None
    status: str
    effective_status: str = Field(description="The status, or `overdue` when past due.")
    is_overdue: bool
    notes: str
    assignee: UserRef | None
    source: str
    email_id: int | None
    completed_at: datetime | None
    skip_reason: str
    created_at: datetime
    updated_at: datetime


def api_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {API_NAMES.get(name, name): list(messages) for name, messages in errors.items()}
