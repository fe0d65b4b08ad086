"""The follow-up dashboard and its actions (htmx, with plain POST as a fallback).

Views only translate HTTP: forms validate, services write, queries read.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forgecrm.clients.models import Client
from forgecrm.followups import queries, services
from forgecrm.followups.forms import BulkForm, FilterForm, FollowUpForm, RescheduleForm, SkipForm
from forgecrm.followups.models import FollowUpTask
from forgecrm.followups.queries import FollowUpFilters

SECTIONS = (
    ("overdue", "Overdue", "danger", "exclamation-octagon"),
    ("today", "Due today", "warning", "hourglass-split"),
    ("upcoming", "Next 7 days", "primary", "calendar-week"),
)
VIEW, CHANGE = "followups.view_followuptask", "followups.change_followuptask"


def _filters(request: HttpRequest) -> tuple[FilterForm, FollowUpFilters]:
    form = FilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    client = data.get("client")
    return form, FollowUpFilters(
        client=client.pk if client else None,
        task_type=data.get("type", ""),
        priority=data.get("priority", ""),
        assignee=request.user.pk if data.get("mine") else None,
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
        return redirect(_safe_next(request))
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
    return redirect(_safe_next(request))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("followups:dashboard")


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
