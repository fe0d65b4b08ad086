"""The follow-ups and sequences API. Bodies are validated by the forms of forms.py; writes
go through the services, audited as `request.auth`."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.forms import model_to_dict
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from forgecrm.clients.models import Client
from forgecrm.core.api import FieldErrors, ObjectId, Page, PageParams, paginate, requires
from forgecrm.followups import queries, services
from forgecrm.followups.forms import (
    FollowUpForm,
    RescheduleForm,
    SequenceForm,
    StepForm,
    contacts_by_ids,
)
from forgecrm.followups.models import Enrollment, FollowUpTask, Sequence, SequenceStep
from forgecrm.followups.schemas import (
    STATUS_FILTERS,
    EnrolledOut,
    EnrollIn,
    EnrollmentOut,
    EnrollmentQuery,
    FollowUpIn,
    FollowUpOut,
    FollowUpQuery,
    RescheduleIn,
    SequenceIn,
    SequenceOut,
    SkipIn,
    StepIn,
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


# ---- Sequences: mounted at /api/admin/crm/followups/sequences ------------------------------

sequences_router = Router(tags=["follow-up sequences"])

VIEW_SEQUENCE, ADD_SEQUENCE, CHANGE_SEQUENCE = (
    "followups.view_sequence",
    "followups.add_sequence",
    "followups.change_sequence",
)
ENROLL, CHANGE_ENROLLMENT = "followups.add_enrollment", "followups.change_enrollment"
STEP_FIELDS = StepForm._meta.fields


def _sequences() -> QuerySet[Sequence]:
    return queries.sequence_list().prefetch_related(
        Prefetch("steps", queryset=SequenceStep.objects.select_related("template"))
    )


def _sequence(sequence_id: int) -> Sequence:
    return get_object_or_404(_sequences(), pk=sequence_id)


def _step_forms(sequence: Sequence, steps: list[StepIn]) -> tuple[list[StepForm], list[str]]:
    """A StepForm per step sent (bound to the existing step when it names one)."""
    existing = {step.pk: step for step in sequence.steps.all()} if sequence.pk else {}
    forms, errors = [], []
    for index, step in enumerate(steps):
        sent = step.model_dump(exclude_unset=True)
        step_id = sent.pop("id", None)
        instance = existing.get(step_id) if step_id else SequenceStep()
        if instance is None:
            errors.append(f"steps.{index}.id")
            continue
        data = model_to_dict(instance, fields=STEP_FIELDS)
        data.update(sent)
        forms.append(
            StepForm({k: "" if v is None else v for k, v in data.items()}, instance=instance)
        )
    return forms, errors


def _save_sequence(request: HttpRequest, sequence: Sequence, payload: SequenceIn) -> Sequence:
    sent = payload.model_dump(exclude_unset=True, exclude={"steps"})
    data = {**model_to_dict(sequence, fields=SequenceForm._meta.fields), **sent}
    form = SequenceForm({k: "" if v is None else v for k, v in data.items()}, instance=sequence)
    errors = api_errors(form.errors) if not form.is_valid() else {}
    steps: list[SequenceStep] = []
    removed: list[SequenceStep] = []
    if payload.steps is not None:
        if not payload.steps:
            errors["steps"] = ["Give the sequence at least one step."]
        step_forms, unknown = _step_forms(sequence, payload.steps)
        for name in unknown:
            errors[name] = ["This sequence has no step with this id."]
        for index, step_form in enumerate(step_forms):
            if not step_form.is_valid():
                for name, messages in step_form.errors.items():
                    errors[f"steps.{index}.{name}"] = list(messages)
        kept = {f.instance.pk for f in step_forms if f.instance.pk}
        removed = [s for s in sequence.steps.all() if s.pk not in kept] if sequence.pk else []
        if not errors:
            steps = [f.save(commit=False) for f in step_forms]
    elif not sequence.pk:
        errors["steps"] = ["Give the sequence at least one step."]
    if errors:
        raise FieldErrors(errors)
    services.sequence_save(
        sequence=form.save(commit=False), steps=steps, removed=removed, actor=request.auth
    )
    return _sequence(sequence.pk)


@sequences_router.get("", response=Page[SequenceOut], auth=requires(VIEW_SEQUENCE))
def list_sequences(request: HttpRequest, params: Query[PageParams]) -> dict:
    """Sequences by name, with their steps and how many people are in each."""
    return paginate(_sequences(), page=params.page, per_page=params.per_page)


@sequences_router.post("", response={201: SequenceOut}, auth=requires(ADD_SEQUENCE))
def create_sequence(request: HttpRequest, payload: SequenceIn) -> Status[Sequence]:
    return Status(201, _save_sequence(request, Sequence(), payload))


@sequences_router.get("/{sequence_id}", response=SequenceOut, auth=requires(VIEW_SEQUENCE))
def get_sequence(request: HttpRequest, sequence_id: ObjectId) -> Sequence:
    return _sequence(sequence_id)


@sequences_router.put("/{sequence_id}", response=SequenceOut, auth=requires(CHANGE_SEQUENCE))
def update_sequence(request: HttpRequest, sequence_id: ObjectId, payload: SequenceIn) -> Sequence:
    """Change the fields sent. `steps`, when sent, is the whole list: steps sent with their
    `id` are kept with their history, the others are new, steps left out are removed."""
    sequence = get_object_or_404(Sequence, pk=sequence_id)
    return _save_sequence(request, sequence, payload)


def _enrollments() -> QuerySet[Enrollment]:
    return Enrollment.objects.select_related("sequence", "contact", "enrolled_by")


@sequences_router.get(
    "/{sequence_id}/enrollments", response=Page[EnrollmentOut], auth=requires(VIEW_SEQUENCE)
)
def list_enrollments(
    request: HttpRequest, sequence_id: ObjectId, params: Query[EnrollmentQuery]
) -> dict:
    sequence = get_object_or_404(Sequence, pk=sequence_id)
    queryset = queries.enrollments_of(sequence, status=params.status or "").select_related(
        "sequence", "enrolled_by"
    )
    return paginate(queryset, page=params.page, per_page=params.per_page)


@sequences_router.post("/{sequence_id}/enroll", response={201: EnrolledOut}, auth=requires(ENROLL))
def enroll(request: HttpRequest, sequence_id: ObjectId, payload: EnrollIn) -> Status[dict]:
    """Enroll contacts (`contacts`), or a client's primary contact (`client`)."""
    sequence = get_object_or_404(Sequence, pk=sequence_id)
    if bool(payload.contacts) == (payload.client is not None):
        raise FieldErrors({"contacts": ["Send either `contacts` or `client`."]})
    if payload.client is not None:
        client = Client.objects.filter(pk=payload.client).first()
        if client is None:
            raise FieldErrors({"client": [f"There is no client with id {payload.client}."]})
        if client.primary_contact_id is None:
            raise FieldErrors(
                {"client": [f"{client.name} has no primary contact: send `contacts`."]}
            )
        ids = [client.primary_contact_id]
    else:
        ids = list(payload.contacts)
    contacts = contacts_by_ids(ids)
    missing = sorted(set(ids) - {c.pk for c in contacts})
    if missing:
        field = "client" if payload.client is not None else "contacts"
        raise FieldErrors({field: [f"There is no contact with id {pk}." for pk in missing]})
    try:
        result = services.enroll(sequence=sequence, contacts=contacts, actor=request.auth)
    except services.SequenceProblem as exc:
        raise FieldErrors({"sequence": [str(exc)]}) from None
    enrolled = list(_enrollments().filter(pk__in=[e.pk for e in result.enrollments]))
    skipped = [{"contact": c.pk, "reason": why} for c, why in result.skipped]
    return Status(201, {"enrolled": enrolled, "skipped": skipped})


def _act(request: HttpRequest, enrollment_id: int, action: Any) -> Enrollment:
    enrollment = get_object_or_404(Enrollment, pk=enrollment_id)
    try:
        action(enrollment=enrollment, actor=request.auth)
    except services.SequenceProblem as exc:
        raise FieldErrors({"status": [str(exc)]}) from None
    return _enrollments().get(pk=enrollment_id)


@sequences_router.put(
    "/enrollments/{enrollment_id}/pause",
    response=EnrollmentOut,
    auth=requires(CHANGE_ENROLLMENT),
)
def pause(request: HttpRequest, enrollment_id: ObjectId) -> Enrollment:
    return _act(request, enrollment_id, services.enrollment_pause)


@sequences_router.put(
    "/enrollments/{enrollment_id}/resume",
    response=EnrollmentOut,
    auth=requires(CHANGE_ENROLLMENT),
)
def resume(request: HttpRequest, enrollment_id: ObjectId) -> Enrollment:
    """Go on; the steps still to come move later by the time spent paused."""
    return _act(request, enrollment_id, services.enrollment_resume)


@sequences_router.put(
    "/enrollments/{enrollment_id}/stop",
    response=EnrollmentOut,
    auth=requires(CHANGE_ENROLLMENT),
)
def stop(request: HttpRequest, enrollment_id: ObjectId) -> Enrollment:
    return _act(request, enrollment_id, services.enrollment_stop)
