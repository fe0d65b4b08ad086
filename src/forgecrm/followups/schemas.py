"""Shapes of the follow-ups API. Bodies are loose: forms.FollowUpForm does the validation."""

from datetime import datetime, timedelta
from typing import Any

from django.forms import model_to_dict
from ninja import Field, Schema

from forgecrm.clients.schemas import LooseIn, Text, UserRef
from forgecrm.core.api import ObjectId, PageParams
from forgecrm.followups.forms import FollowUpForm
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpStatus,
    FollowUpTask,
    FollowUpType,
    Priority,
    Sequence,
    SequenceStep,
)
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


# ---- Sequences -----------------------------------------------------------------------------


class StepIn(LooseIn):
    """A step. Send `id` to keep (and change) an existing step with its history."""

    id: ObjectId | None = None
    days: int | None = Field(None, description="Days after enrollment (0: at once).")
    kind: Text = Field(None, examples=["email"], description="email or task.")
    template: ObjectId | None = Field(None, description="The email template (email steps).")
    task_title: Text = None
    task_type: Text = Field(None, examples=["call"])
    priority: Text = Field(None, examples=["medium"])
    assignee: ObjectId | None = Field(None, description="Who gets the task (else the enroller).")


class SequenceIn(LooseIn):
    """A sequence. `name` and `steps` are required to create one. On update, fields sent are
    changed; `steps`, when sent, is the whole new list (steps left out are removed)."""

    name: Text = None
    description: Text = None
    is_active: bool | None = None
    steps: list[StepIn] | None = None


class StepOut(Schema):
    id: int
    days: int
    kind: str
    template: Ref | None = None
    task_title: str
    task_type: str
    priority: str
    assignee_id: int | None

    @staticmethod
    def resolve_template(step: SequenceStep) -> dict | None:
        if step.template is None:
            return None
        return {"id": step.template.pk, "name": step.template.name}


class SequenceOut(Schema):
    id: int
    name: str
    description: str
    is_active: bool
    steps: list[StepOut]
    open_count: int = Field(0, description="People active or paused in it.")
    enrolled_count: int = Field(0, description="People ever enrolled.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_steps(sequence: Sequence) -> list[SequenceStep]:
        return list(sequence.steps.all())


class EnrollIn(Schema):
    """Who to enroll: contact ids, or a client (its primary contact)."""

    contacts: list[ObjectId] = Field(default_factory=list)
    client: ObjectId | None = None


class EnrollmentOut(Schema):
    id: int
    sequence: Ref
    contact: Ref
    client_id: int
    status: str
    enrolled_at: datetime
    enrolled_by: UserRef | None
    next_step_id: int | None
    next_step_at: datetime | None
    paused_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str
    stop_detail: str

    @staticmethod
    def resolve_contact(enrollment: Enrollment) -> dict:
        return {"id": enrollment.contact_id, "name": enrollment.contact.full_name}


class SkippedOut(Schema):
    contact: int
    reason: str


class EnrolledOut(Schema):
    enrolled: list[EnrollmentOut]
    skipped: list[SkippedOut]


class EnrollmentQuery(PageParams):
    status: EnrollmentStatus | None = None
