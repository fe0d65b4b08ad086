"""The follow-ups API. Bodies are validated by forms.FollowUpForm; writes go through the
services, audited as `request.auth`."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from forgecrm.core.api import FieldErrors, ObjectId, Page, paginate, requires
from forgecrm.followups import queries, services
from forgecrm.followups.forms import FollowUpForm, RescheduleForm
from forgecrm.followups.models import FollowUpTask
from forgecrm.followups.schemas import (
    STATUS_FILTERS,
    FollowUpIn,
    FollowUpOut,
    FollowUpQuery,
    RescheduleIn,
    SkipIn,
    api_errors,
)

followups_router = Router(tags=["follow-ups"])

VIEW, ADD, CHANGE = (
    "followups.view_followuptask",
    "followups.add_followuptask",
    "followups.change_followuptask",
)


def _task(task_id: ObjectId) -> FollowUpTask:
    return get_object_or_404(
        queries.with_details(FollowUpTask.objects.filter(client__deleted_at__isnull=True)),
        pk=task_id,
    )


def _fresh(task: FollowUpTask) -> FollowUpTask:
    return queries.with_details(FollowUpTask.objects.filter(pk=task.pk)).get()


@followups_router.get("", response=Page[FollowUpOut], auth=requires(VIEW))
def list_followups(request: HttpRequest, filters: Query[FollowUpQuery]) -> dict:
    """Follow-ups, soonest due first; `status=overdue` for open ones past their due time."""
    if filters.status and filters.status not in STATUS_FILTERS:
        raise FieldErrors({"status": [f"Pick one of {', '.join(sorted(STATUS_FILTERS))}."]})
    queryset = queries.followup_list(filters.to_filters())
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@followups_router.post("", response={201: FollowUpOut}, auth=requires(ADD))
def create_followup(request: HttpRequest, payload: FollowUpIn) -> Status[FollowUpTask]:
    form = FollowUpForm(payload.form_data())
    if not form.is_valid():
        raise FieldErrors(api_errors(form.errors))
    task = services.followup_create(fields=form.cleaned_data, actor=request.auth)
    return Status(201, _fresh(task))


@followups_router.put("/{task_id}", response=FollowUpOut, auth=requires(CHANGE))
def update_followup(request: HttpRequest, task_id: ObjectId, payload: FollowUpIn) -> FollowUpTask:
    """Change the fields sent; the others keep their values."""
    task = _task(task_id)
    form = FollowUpForm(payload.form_data(task), instance=FollowUpTask.objects.get(pk=task.pk))
    if not form.is_valid():
        raise FieldErrors(api_errors(form.errors))
    services.followup_update(task=task, fields=form.cleaned_data, actor=request.auth)
    return _fresh(task)


def _closed(exc: services.NotOpen) -> FieldErrors:
    return FieldErrors({"status": [str(exc)]})


@followups_router.put("/{task_id}/complete", response=FollowUpOut, auth=requires(CHANGE))
def complete_followup(request: HttpRequest, task_id: ObjectId) -> FollowUpTask:
    task = _task(task_id)
    try:
        services.followup_complete(task=task, actor=request.auth)
    except services.NotOpen as exc:
        raise _closed(exc) from None
    return _fresh(task)


@followups_router.put("/{task_id}/reschedule", response=FollowUpOut, auth=requires(CHANGE))
def reschedule_followup(
    request: HttpRequest, task_id: ObjectId, payload: RescheduleIn
) -> FollowUpTask:
    task = _task(task_id)
    form = RescheduleForm({"due_at": payload.due_at})
    if not form.is_valid():
        raise FieldErrors(api_errors(form.errors))
    try:
        services.followup_reschedule(
            task=task, due_at=form.cleaned_data["due_at"], actor=request.auth
        )
    except services.NotOpen as exc:
        raise _closed(exc) from None
    return _fresh(task)


@followups_router.put("/{task_id}/skip", response=FollowUpOut, auth=requires(CHANGE))
def skip_followup(request: HttpRequest, task_id: ObjectId, payload: SkipIn) -> FollowUpTask:
    task = _task(task_id)
    if not payload.reason.strip():
        raise FieldErrors({"reason": ["Say why you skip it."]})
    try:
        services.followup_skip(task=task, reason=payload.reason, actor=request.auth)
    except services.NotOpen as exc:
        raise _closed(exc) from None
    return _fresh(task)
