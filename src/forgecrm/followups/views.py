"""The follow-up dashboard and its actions (htmx, with plain POST as a fallback).

Views only translate HTTP: forms validate, services write, queries read.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from forgecrm.clients.models import Client
from forgecrm.core.pagination import page_of
from forgecrm.core.redirects import next_page
from forgecrm.followups import queries, services
from forgecrm.followups.forms import (
    BulkForm,
    ClientEnrollForm,
    EnrollForm,
    FilterForm,
    FollowUpForm,
    RescheduleForm,
    RuleForm,
    SequenceForm,
    SkipForm,
    StepFormSet,
    contacts_by_ids,
)
from forgecrm.followups.models import (
    Enrollment,
    EnrollmentStatus,
    FollowUpRule,
    FollowUpTask,
    Sequence,
)
from forgecrm.followups.queries import FollowUpFilters

SECTIONS = (
    ("overdue", "Overdue", "danger", "exclamation-octagon"),
    ("today", "Due today", "warning", "hourglass-split"),
    ("upcoming", "Next 7 days", "primary", "calendar-week"),
)
VIEW, CHANGE = "followups.view_followuptask", "followups.change_followuptask"


def _filters(request: HttpRequest) -> tuple[FilterForm, FollowUpFilters]:
    form = FilterForm(request.GET)
    data = form.valid_values()
    client = data.get("client")
    return form, FollowUpFilters(
        client=client.pk if client else None,
        task_type=data.get("type", ""),
        priority=data.get("priority", ""),
        responsible=request.user.pk if data.get("mine") else None,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    board = queries.dashboard(filters, user=request.user)  # type: ignore[arg-type]
    context = {
        "board": board,
        "filter_form": form,
        "client_filter": form.cleaned_data.get("client") if form.is_valid() else None,
        "filtered": any(request.GET.get(name) for name in ("client", "type", "priority", "mine")),
        "sections": [
            (key, label, tone, icon, getattr(board, key), board.counts.get(key, 0))
            for key, label, tone, icon in SECTIONS
        ],
    }
    return render(request, "followups/dashboard.html", context)


def _open_task(pk: int) -> FollowUpTask:
    return get_object_or_404(
        queries.with_details(FollowUpTask.objects.filter(client__deleted_at__isnull=True)), pk=pk
    )


def _answer(
    request: HttpRequest, task: FollowUpTask, *, done: str = "", error: str = ""
) -> HttpResponse:
    """htmx: the row (or what became of it); otherwise back to the dashboard."""
    if request.headers.get("HX-Request"):
        template = "followups/_done.html" if done else "followups/_row.html"
        return render(request, template, {"task": task, "done": done, "error": error})
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect("followups:dashboard")


def _act(request: HttpRequest, task: FollowUpTask, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except services.NotOpen as exc:
        return _answer(request, task, error=str(exc))
    return _answer(request, task, done=done)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _open_task(pk)
    return _act(
        request,
        task,
        lambda: services.followup_complete(task=task, actor=request.user),
        f"“{task.title}” completed.",
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    task = _open_task(pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return _answer(request, task, error="Pick a valid new due time.")
    due_at = form.cleaned_data["due_at"]
    return _act(
        request,
        task,
        lambda: services.followup_reschedule(task=task, due_at=due_at, actor=request.user),
        f"“{task.title}” moved to {due_at:%d %b %Y %H:%M}.",
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def skip(request: HttpRequest, pk: int) -> HttpResponse:
    task = _open_task(pk)
    form = SkipForm(request.POST)
    if not form.is_valid():
        return _answer(request, task, error="Say why you skip it.")
    reason = form.cleaned_data["reason"]
    return _act(
        request,
        task,
        lambda: services.followup_skip(task=task, reason=reason, actor=request.user),
        f"“{task.title}” skipped.",
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
@permission_required("timeline.add_communication", raise_exception=True)
@require_POST
def convert(request: HttpRequest, pk: int) -> HttpResponse:
    task = _open_task(pk)
    return _act(
        request,
        task,
        lambda: services.followup_convert(task=task, actor=request.user),
        f"“{task.title}” logged as a task on {task.client.name}'s timeline.",
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(next_page(request, reverse("followups:dashboard")))
    tasks = FollowUpTask.objects.filter(
        pk__in=form.cleaned_data["ids"], client__deleted_at__isnull=True
    )
    try:
        if form.cleaned_data["action"] == "complete":
            count = services.followups_complete_bulk(tasks=tasks, actor=request.user)
            messages.success(request, f"{count} follow-up(s) completed.")
        else:
            count = services.followups_reschedule_bulk(
                tasks=tasks, due_at=form.cleaned_data["due_at"], actor=request.user
            )
            messages.success(request, f"{count} follow-up(s) rescheduled.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(next_page(request, reverse("followups:dashboard")))


@login_required
@permission_required("followups.add_followuptask", raise_exception=True)
@require_http_methods(["GET", "POST"])
def create_for_client(request: HttpRequest, client_id: int) -> HttpResponse:
    """Schedule a follow-up from a client's page."""
    client = get_object_or_404(Client.objects, pk=client_id)
    form = FollowUpForm(
        request.POST or None,
        initial={"client": client, "assignee": request.user, "priority": "medium"},
    )
    form.for_client(client)
    if request.method == "POST" and form.is_valid():
        task = services.followup_create(fields=form.cleaned_data, actor=request.user)
        messages.success(request, f"Follow-up “{task.title}” scheduled.")
        return redirect(client.get_absolute_url())
    return render(request, "followups/create.html", {"form": form, "client": client})


# ---- Sequences -----------------------------------------------------------------------------

VIEW_SEQUENCE, ADD_SEQUENCE, CHANGE_SEQUENCE = (
    "followups.view_sequence",
    "followups.add_sequence",
    "followups.change_sequence",
)
ENROLL, CHANGE_ENROLLMENT = "followups.add_enrollment", "followups.change_enrollment"
ENROLLMENTS_PER_PAGE = 50


def _posted(request: HttpRequest) -> Any:
    """The POST data (even when empty), or None to show an unbound form."""
    return request.POST if request.method == "POST" else None


ENROLLMENT_FILTERS = [
    ("", "All"),
    ("open", "Active or paused"),
    *[(value, label) for value, label in EnrollmentStatus.choices],
]


@login_required
@permission_required(VIEW_SEQUENCE, raise_exception=True)
@require_safe
def sequences(request: HttpRequest) -> HttpResponse:
    context = {
        "sequences": list(queries.sequence_list()),
        "missing_defaults": queries.missing_default_sequences(),
    }
    return render(request, "followups/sequences/list.html", context)


@login_required
@permission_required(ADD_SEQUENCE, raise_exception=True)
@require_POST
def add_ready_made(request: HttpRequest) -> HttpResponse:
    added = services.ensure_default_sequences()
    messages.success(request, f"{added} ready-made sequence(s) added; edit them as you like.")
    return redirect("followups:sequences")


def _edit(request: HttpRequest, sequence: Sequence, *, title: str) -> HttpResponse:
    form = SequenceForm(_posted(request), instance=sequence)
    formset = StepFormSet(_posted(request), instance=sequence, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = services.sequence_save(
            sequence=form.save(commit=False),
            steps=formset.save(commit=False),
            removed=formset.deleted_objects,
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, f"Sequence “{saved.name}” saved.")
        return redirect("followups:sequence", pk=saved.pk)
    context = {"form": form, "formset": formset, "sequence": sequence, "title": title}
    return render(request, "followups/sequences/form.html", context)


@login_required
@permission_required(ADD_SEQUENCE, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def sequence_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, Sequence(), title="New sequence")


@login_required
@permission_required(CHANGE_SEQUENCE, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def sequence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=pk)
    return _edit(request, sequence, title=f"Edit “{sequence.name}”")


@login_required
@permission_required(VIEW_SEQUENCE, raise_exception=True)
@require_safe
def sequence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=pk)
    status = request.GET.get("status", "")
    if status not in dict(ENROLLMENT_FILTERS):
        status = ""
    steps = queries.sequence_steps(sequence)
    enrollments = queries.enrollments_of(sequence, status=status)
    page = page_of(request, enrollments, per_page=ENROLLMENTS_PER_PAGE, paginator=Paginator)
    context = {
        "sequence": sequence,
        "steps": steps,
        "page": page,
        "rows": queries.enrollment_rows(list(page.object_list), steps),
        "status": status,
        "status_filters": ENROLLMENT_FILTERS,
    }
    return render(request, "followups/sequences/detail.html", context)


def _report_enrolled(request: HttpRequest, sequence: Sequence, result: services.Enrolled) -> None:
    if result.enrollments:
        names = ", ".join(e.contact.full_name for e in result.enrollments[:5])
        more = len(result.enrollments) - 5
        messages.success(
            request,
            f"Enrolled in “{sequence.name}”: {names}{f' and {more} more' if more > 0 else ''}.",
        )
    for contact, why in result.skipped:
        messages.warning(request, f"{contact.full_name} not enrolled: {why}.")


@login_required
@permission_required(VIEW_SEQUENCE, raise_exception=True)
@permission_required(ENROLL, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def sequence_enroll(request: HttpRequest, pk: int) -> HttpResponse:
    """Bulk enroll: people picked with a search box, from any client."""
    sequence = get_object_or_404(Sequence, pk=pk)
    form = EnrollForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enroll(
                sequence=sequence,
                contacts=form.cleaned_data["contacts"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except services.SequenceProblem as exc:
            form.add_error(None, str(exc))
        else:
            _report_enrolled(request, sequence, result)
            return redirect("followups:sequence", pk=sequence.pk)
    picked = contacts_by_ids(
        [int(v) for v in form.data.getlist("contacts") if v.isdigit() and len(v) < 19]
        if form.is_bound
        else []
    )
    context = {"sequence": sequence, "form": form, "picked": picked}
    return render(request, "followups/sequences/enroll.html", context)


@login_required
@permission_required(ENROLL, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def client_enroll(request: HttpRequest, client_id: int) -> HttpResponse:
    """From a client's page (or one of its people): pick a sequence and who goes through it."""
    client = get_object_or_404(Client.objects, pk=client_id)
    contact_id = request.GET.get("contact", "")
    ticked = [int(contact_id)] if contact_id.isdigit() and len(contact_id) < 19 else []
    if not ticked and client.primary_contact_id:
        ticked = [client.primary_contact_id]
    form = ClientEnrollForm(
        request.POST or None,
        client=client,
        initial={"contacts": ticked, "sequence": request.GET.get("sequence")},
    )
    if request.method == "POST" and form.is_valid():
        sequence = form.cleaned_data["sequence"]
        try:
            result = services.enroll(
                sequence=sequence,
                contacts=form.cleaned_data["contacts"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except services.SequenceProblem as exc:
            form.add_error("sequence", str(exc))
        else:
            _report_enrolled(request, sequence, result)
            return redirect(f"{client.get_absolute_url()}#sequences")
    context = {"client": client, "form": form, "has_sequences": Sequence.objects.exists()}
    return render(request, "followups/sequences/client_enroll.html", context)


def _enrollment_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("sequence", "contact", "client"), pk=pk
    )
    try:
        action(enrollment=enrollment, actor=request.user)
    except services.SequenceProblem as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{enrollment.contact.full_name}: “{enrollment.sequence.name}” {done}."
        )
    return redirect(
        next_page(request, reverse("followups:sequence", args=[enrollment.sequence_id]))
    )


@login_required
@permission_required(CHANGE_ENROLLMENT, raise_exception=True)
@require_POST
def enrollment_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrollment_action(request, pk, services.enrollment_pause, "paused")


@login_required
@permission_required(CHANGE_ENROLLMENT, raise_exception=True)
@require_POST
def enrollment_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrollment_action(request, pk, services.enrollment_resume, "resumed")


@login_required
@permission_required(CHANGE_ENROLLMENT, raise_exception=True)
@require_POST
def enrollment_stop(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrollment_action(request, pk, services.enrollment_stop, "stopped")


# ---- Rules ---------------------------------------------------------------------------------

EDIT_RULES = "followups.edit_rules"


@login_required
@permission_required(EDIT_RULES, raise_exception=True)
@require_safe
def rules(request: HttpRequest) -> HttpResponse:
    context = {"rules": FollowUpRule.objects.all(), "can_add": queries.rule_types_left()}
    return render(request, "followups/rules/list.html", context)


def _rule_form(request: HttpRequest, rule: FollowUpRule, *, title: str) -> HttpResponse:
    form = RuleForm(_posted(request), instance=rule)
    if request.method == "POST" and form.is_valid():
        services.rule_save(
            rule=rule,
            fields=form.cleaned_data,
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request, f"Rule saved: {rule.get_email_type_display()} → {rule.days} days."
        )
        return redirect("followups:rules")
    return render(
        request, "followups/rules/form.html", {"form": form, "rule": rule, "title": title}
    )


@login_required
@permission_required(EDIT_RULES, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, FollowUpRule(), title="New rule")


@login_required
@permission_required(EDIT_RULES, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(FollowUpRule, pk=pk)
    return _rule_form(
        request, rule, title=f"Rule for {rule.get_email_type_display().lower()} emails"
    )
