"""Pages of the communication log: a client's timeline (htmx), the quick log, CSV export,
one entry, and the global search.

Views only translate HTTP: forms validate, services write, queries read.
"""

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from forgecrm.clients.models import Client
from forgecrm.timeline import queries, search, services
from forgecrm.timeline.forms import MANUAL_KINDS, CommunicationForm
from forgecrm.timeline.models import ICONS, Communication, CommunicationType

LAST_KIND_SESSION_KEY = "timeline_last_kind"
SEARCH_PER_KIND = {"page": 5, "dropdown": 3, "kind": 20}


class TimelineFilterForm(forms.Form):
    """The timeline's GET parameters; invalid ones are ignored."""

    type = forms.ChoiceField(required=False, choices=[("", "All"), *CommunicationType.choices])
    q = forms.CharField(required=False, max_length=200)
    cursor = forms.CharField(required=False, max_length=40)

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_valid() else ""


def _alive_client(client_id: int) -> Client:
    return get_object_or_404(Client.objects.all(), pk=client_id)


def _quick_log_form(request: HttpRequest, client: Client) -> CommunicationForm:
    kind = request.session.get(LAST_KIND_SESSION_KEY, CommunicationType.CALL)
    return CommunicationForm(
        client=client,
        initial={
            "kind": kind if kind in MANUAL_KINDS else CommunicationType.CALL,
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
        },
    )


def _list_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    """The timeline's list: a page of entries with the filters of the request."""
    filters = TimelineFilterForm(request.GET)
    kind, q = filters.value("type"), filters.value("q")
    entries = queries.client_timeline(client, user=request.user, kind=kind, q=q)
    return {
        "client": client,
        "page": queries.timeline_page(entries, cursor=filters.value("cursor")),
        "kind": kind,
        "q": q,
        "kinds": [(value, label, ICONS[value]) for value, label in CommunicationType.choices],
    }


def panel_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    """The client page's timeline: entries, filters, quick-log form and insights.

    For the client detail view, which shows it when the user may read communications.
    """
    user = request.user
    if not user.has_perm("timeline.view_communication"):
        return {}
    timeline = _list_context(request, client)
    timeline["insights"] = queries.client_insights(client)
    if user.has_perm("timeline.add_communication"):
        timeline["form"] = _quick_log_form(request, client)
    return {"timeline": timeline}


@login_required
@permission_required("timeline.view_communication", raise_exception=True)
@require_GET
def client_timeline(request: HttpRequest, client_id: int) -> HttpResponse:
    """The timeline's list for htmx: filtered (the whole list) or the next page (its rows)."""
    client = _alive_client(client_id)
    if not request.htmx:
        query = request.GET.copy()
        query.pop("cursor", None)
        suffix = f"?{query.urlencode()}" if query else ""
        return redirect(f"{client.get_absolute_url()}{suffix}#timeline")
    template = "timeline/_entries.html" if request.GET.get("cursor") else "timeline/_list.html"
    response = render(request, template, {"timeline": _list_context(request, client)})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@permission_required("timeline.add_communication", raise_exception=True)
@require_POST
def quick_log(request: HttpRequest, client_id: int) -> HttpResponse:
    """Log a call, meeting, message or note; with htmx the entry goes on top of the timeline."""
    client = _alive_client(client_id)
    form = CommunicationForm(request.POST, client=client)
    if not form.is_valid():
        if request.htmx:
            response = render(request, "timeline/_quick_log.html", {"form": form, "client": client})
            response["HX-Retarget"] = "#quick-log"
            response["HX-Reswap"] = "outerHTML"
            return response
        context = {"timeline": {"client": client, "form": form}}
        return render(request, "timeline/log.html", context, status=422)
    entry = services.communication_log(client=client, fields=form.cleaned_data, actor=request.user)
    request.session[LAST_KIND_SESSION_KEY] = entry.kind
    if not request.htmx:
        messages.success(request, f"{entry.get_kind_display()} logged.")
        return redirect(f"{client.get_absolute_url()}#timeline")
    entry = queries.with_details(Communication.objects.filter(pk=entry.pk)).get()
    context = {
        "entry": entry,
        "timeline": {
            "client": client,
            "form": _quick_log_form(request, client),
            "insights": queries.client_insights(client),
        },
    }
    return render(request, "timeline/_logged.html", context)


CSV_COLUMNS = (
    "When",
    "Type",
    "Direction",
    "Summary",
    "Notes",
    "Duration (minutes)",
    "Location",
    "Contact",
    "Participants",
    "Outcome",
    "Next steps",
    "Private",
    "Logged by",
)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _safe_cell(value: Any) -> Any:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_row(entry: Communication) -> list[Any]:
    people = [c.full_name for c in entry.participant_contacts.all()]
    people += [u.get_full_name() or u.username for u in entry.participant_users.all()]
    author = entry.created_by
    return [
        timezone.localtime(entry.occurred_at).isoformat(timespec="minutes"),
        entry.get_kind_display(),
        entry.get_direction_display(),
        entry.subject,
        entry.content,
        entry.duration_minutes or "",
        entry.location,
        entry.contact.full_name if entry.contact else "",
        ", ".join(people),
        entry.outcome,
        entry.next_steps,
        "yes" if entry.is_private else "no",
        (author.get_full_name() or author.username) if author else "",
    ]


def _csv_lines(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so Excel reads the file (and Bengali) as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=500):
        yield writer.writerow([_safe_cell(value) for value in _csv_row(entry)])


@login_required
@permission_required("timeline.view_communication", raise_exception=True)
@require_GET
def export_csv(request: HttpRequest, client_id: int) -> StreamingHttpResponse:
    """The client's timeline as CSV, with the page's filters, streamed row by row."""
    client = _alive_client(client_id)
    filters = TimelineFilterForm(request.GET)
    entries = queries.client_timeline(
        client, user=request.user, kind=filters.value("type"), q=filters.value("q")
    )
    name = f"timeline-{slugify(client.name) or client.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    return StreamingHttpResponse(
        _csv_lines(entries),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _visible_entry(request: HttpRequest, pk: int) -> Communication:
    entries = queries.with_details(queries.visible_communications(request.user))
    return get_object_or_404(entries, pk=pk)


@login_required
@permission_required("timeline.view_communication", raise_exception=True)
@require_GET
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "timeline/entry.html", {"entry": _visible_entry(request, pk)})


@login_required
@permission_required("timeline.delete_communication", raise_exception=True)
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _visible_entry(request, pk)
    client = entry.client
    services.communication_delete(communication=entry, actor=request.user)
    messages.success(request, f"{entry.get_kind_display()} “{entry.subject}” was deleted.")
    return redirect(f"{client.get_absolute_url()}#timeline")


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Results of the header's search box, grouped by kind; `kind=` lists one kind, paged."""
    kinds = search.searchable(request.user)
    if not kinds:
        raise PermissionDenied("Your role does not let you search any CRM data.")
    q = request.GET.get("q", "").strip()[:200]
    only = request.GET.get("kind", "")
    if only and only not in {kind.key for kind in kinds}:
        raise Http404("No such kind of result.")
    dropdown = bool(request.GET.get("dropdown"))
    page = _page_number(request.GET.get("page")) if only else 1
    per_kind = SEARCH_PER_KIND["dropdown" if dropdown else "kind" if only else "page"]
    groups = search.global_search(request.user, q, per_kind=per_kind, only=only, page=page)
    context = {
        "q": q,
        "groups": groups,
        "only": only,
        "page": page,
        "kinds": kinds,
        "found": any(group.hits for group in groups),
        "results_url": reverse("timeline:search") + "?" + urlencode({"q": q}),
    }
    template = "timeline/_search_dropdown.html" if dropdown else "timeline/search.html"
    return render(request, template, context)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 500))
    except ValueError:
        return 1
