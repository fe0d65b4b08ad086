"""Public tracking URLs: mail clients fetch them without signing in.

They are safe to expose: each email's token is random (256 bits), a forged one finds
nothing (404) and records nothing, and a click only ever redirects to a link recorded for
that very email.
"""

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from email.utils import parseaddr
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from forgecrm.clients import queries as clients_queries
from forgecrm.clients.models import Client, ContactPerson
from forgecrm.clients.queries import ClientFilters, ContactFilters
from forgecrm.core.addresses import client_ip
from forgecrm.core.api import object_id
from forgecrm.core.files import inert_download
from forgecrm.core.pagination import page_of
from forgecrm.core.redirects import next_page
from forgecrm.emails import queries, rendering, sanitize, services, tracking
from forgecrm.emails.forms import (
    LATER,
    ComposeForm,
    TemplatePageForm,
    clean_body_source,
    clean_subject_source,
    flag_errors,
)
from forgecrm.emails.models import (
    Email,
    EmailAttachment,
    EmailStatus,
    EmailTemplate,
    EmailType,
    EventKind,
    RecipientKind,
    Suppression,
    SuppressionReason,
    TemplateCategory,
)


def visit_of(request: HttpRequest) -> services.Visit:
    return services.Visit(user_agent=request.headers.get("User-Agent", ""), ip=client_ip(request))


def pixel_response(request: HttpRequest, token: str) -> HttpResponse:
    """The 1x1 GIF for a known token (and the open recorded), else 404."""
    if not services.tracking_open(token=token, visit=visit_of(request)):
        raise Http404
    response = HttpResponse(tracking.PIXEL_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


@require_GET
@never_cache
def tracking_open(request: HttpRequest, token: str) -> HttpResponse:
    return pixel_response(request, token)


@require_GET
@never_cache
def tracking_click(request: HttpRequest, token: str, link_token: str) -> HttpResponse:
    url = services.tracking_click(token=token, link_token=link_token, visit=visit_of(request))
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # RFC 8058: mail apps POST here with no cookie; the token is the secret
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient's unsubscribe page: GET only asks (link scanners fetch it), POST does it.

    Mail apps' one-click unsubscribe (List-Unsubscribe-Post) POSTs the same URL.
    """
    target = queries.unsubscribe_target(token)
    if target is None:
        raise Http404
    email, address = target
    done = address is not None and queries.unsubscribed(address)
    if request.method == "POST" and address is not None:
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.unsubscribe(token=token, at=timezone.now(), one_click=one_click)
        done = True
    company = parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "us"
    context = {"address": address, "done": done, "company": company, "token": token}
    response = render(request, "emails/unsubscribe.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


# ==== Pages ==================================================================================
# Views only translate HTTP: forms validate, services write, queries read.

PAGE_SIZE = 25
SERVICE_FIELDS = {"to", "cc", "bcc", "subject", "body_html", "attachments", "contact"}
SERVICE_FIELDS |= {"deal", "project", "send_at", "timezone", "template", "client", "address"}


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put the service's errors next to the fields they name (else at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields and name in SERVICE_FIELDS else None, messages_)


# ---- History -----------------------------------------------------------------------------


class DateRangeForm(forms.Form):
    """Two days (From, To) in the user's zone; To before From is refused."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class HistoryFilterForm(DateRangeForm):
    """The history's GET parameters; invalid ones are ignored (and said so)."""

    field_order = ("q", "client", "email_type", "status", "date_from", "date_to")

    q = forms.CharField(label="Search", required=False, max_length=100)
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"),
        required=False,
        empty_label="Any client",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    email_type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Any type"), *EmailType.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *EmailStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["client"].widget.attrs["data-client-search"] = reverse("emails:client_search")

    def filters(self) -> tuple[queries.EmailFilters, list[str]]:
        self.is_valid()
        data = self.cleaned_data
        # Only the chosen client is rendered; the picker finds others as you type.
        chosen = data.get("client")
        self.fields["client"].widget.choices = [
            ("", self.fields["client"].empty_label),
            *([(chosen.pk, chosen.name)] if chosen else []),
        ]
        values = {
            "q": data.get("q") or "",
            "client": data["client"].pk if data.get("client") else None,
            "email_type": data.get("email_type") or "",
            "status": data.get("status") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
        ignored = [
            f"{self.fields[name].label or capfirst(name)}: {' '.join(errors)}"
            for name, errors in self.errors.items()
            if name in self.fields
        ]
        return queries.EmailFilters(**values), ignored


def _history(request: HttpRequest) -> tuple[HistoryFilterForm, queries.EmailFilters, list[str]]:
    form = HistoryFilterForm(request.GET)
    filters, ignored = form.filters()
    return form, filters, ignored


@require_safe
@login_required
@permission_required("emails.view_email", raise_exception=True)
def email_list(request: HttpRequest) -> HttpResponse:
    form, filters, ignored = _history(request)
    zone = queries.user_zone(request.user)
    page = page_of(request, queries.email_list(filters, zone=zone), per_page=PAGE_SIZE)
    filtered = filters != queries.EmailFilters()
    context = {"form": form, "page": page, "ignored": ignored, "filtered": filtered}
    partial = request.htmx and not request.htmx.history_restore_request
    template = "emails/_results.html" if partial else "emails/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# ---- Analytics ---------------------------------------------------------------------------


class AnalyticsFilterForm(DateRangeForm):
    """The analytics page's GET parameters: a date range (days in the user's zone) and how
    to group the periods; invalid values are ignored."""

    period = forms.ChoiceField(
        label="Group by",
        required=False,
        choices=[("day", "Day"), ("week", "Week"), ("month", "Month")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def _ranges(today: date) -> list[tuple[str, date, date]]:
    """The quick ranges offered above the filters: this week, month and year so far."""
    return [
        ("This week", today - timedelta(days=today.weekday()), today),
        ("This month", today.replace(day=1), today),
        ("This year", today.replace(month=1, day=1), today),
        ("Last 90 days", today - timedelta(days=89), today),
    ]


@require_safe
@login_required
@permission_required("emails.view_email", raise_exception=True)
def email_analytics(request: HttpRequest) -> HttpResponse:
    """Sent, open, click and reply rates by type, client and period, with the best sending
    times, from the same queries as GET /api/admin/crm/emails/analytics."""
    params = request.GET.copy()
    params.setdefault("period", "week")
    form = AnalyticsFilterForm(params)
    form.is_valid()
    data = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    zone = queries.user_zone(request.user)
    span = {"date_from": data.get("date_from"), "date_to": data.get("date_to")}
    period = data.get("period") or "week"
    result = queries.email_analytics(zone=zone, period=period, top_clients=0, **span)
    # Rows grouped per client have no primary key to page by: plain LIMIT/OFFSET.
    by_client = queries.client_counts(queries.sent_emails(zone=zone, **span))
    clients = page_of(request, by_client, per_page=PAGE_SIZE, paginator=Paginator)
    clients.object_list = [queries.with_rates(row) for row in clients.object_list]
    today = timezone.localtime(timezone.now(), zone).date()
    context = {
        "form": form,
        "result": result,
        "clients": clients,
        "period": period,
        "zone": zone,
        "ranges": [
            (label, start, end, span == {"date_from": start, "date_to": end})
            for label, start, end in _ranges(today)
        ],
        "filtered": any(span.values()),
        "chart_data": {
            "periods": [
                {"label": row["period"].isoformat(), "sent": row["sent"], "rate": row["open_rate"]}
                for row in result["by_period"]
            ],
            "hours": [
                {"label": f"{row['hour']:02d}:00", "rate": row["open_rate"]}
                for row in result["by_hour"]
            ],
            "weekdays": [
                {"label": row["name"], "rate": row["open_rate"]} for row in result["by_weekday"]
            ],
            "types": [
                {"label": row["label"], "open": row["open_rate"], "reply": row["reply_rate"]}
                for row in result["by_type"]
            ],
        },
    }
    return render(request, "emails/analytics.html", context)


# ---- Suppressed addresses ----------------------------------------------------------------


class SuppressionFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "Any reason"), *SuppressionReason.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[*queries.SuppressionState.CHOICES, ("all", "All")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> queries.SuppressionFilters:
        self.is_valid()
        data = self.cleaned_data
        state = data.get("state") or queries.SuppressionState.ACTIVE
        return queries.SuppressionFilters(
            q=data.get("q") or "",
            reason=data.get("reason") or "",
            state="" if state == "all" else state,
        )


class SuppressionBlockForm(forms.Form):
    address = forms.EmailField(
        label="Address",
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "E.g. asked us by phone to stop"}
        ),
    )


def _suppression_page(
    request: HttpRequest, block_form: SuppressionBlockForm, *, status: int = 200
) -> HttpResponse:
    form = SuppressionFilterForm(request.GET)
    filters = form.filters()
    page = page_of(request, queries.suppression_list(filters), per_page=PAGE_SIZE)
    filtered = filters != queries.SuppressionFilters()
    context = {"form": form, "page": page, "filtered": filtered, "block_form": block_form}
    partial = request.htmx and not request.htmx.history_restore_request
    template = "emails/_suppressions.html" if partial else "emails/suppressions.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("emails.view_suppression", raise_exception=True)
def suppression_list(request: HttpRequest) -> HttpResponse:
    """Addresses the CRM does not send to (bounced, unsubscribed …), with a Clear button;
    POST blocks one by hand."""
    if request.method == "POST":
        return _block_address(request)
    return _suppression_page(request, SuppressionBlockForm())


def _block_address(request: HttpRequest) -> HttpResponse:
    """From another page (`next`, e.g. a bounce report in the mailbox) the answer goes back
    there; from the list, errors show on its form."""
    if not request.user.has_perm("emails.add_suppression"):
        raise PermissionDenied
    form = SuppressionBlockForm(request.POST)
    back = next_page(request)
    if form.is_valid():
        try:
            row = services.suppression_block(
                address=form.cleaned_data["address"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"{row.address} is blocked: no email will be sent to it.")
            return redirect(back or reverse("emails:suppressions"))
    if back:
        for problem in form.errors.values():
            messages.error(request, " ".join(problem))
        return redirect(back)
    return _suppression_page(request, flag_errors(form), status=422)


@require_POST
@login_required
@permission_required("emails.delete_suppression", raise_exception=True)
def suppression_clear(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear a suppression, then go back where the button was (a client's page or the list)."""
    suppression = get_object_or_404(Suppression, pk=pk)
    services.suppression_clear(suppression=suppression, actor=request.user)
    messages.success(request, f"{suppression.address} is cleared: emails to it will be sent again.")
    return redirect(next_page(request) or "emails:suppressions")


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = ["id", "date", "status", "type", "subject", "from", "to", "cc", "client", "contact"]
CSV_HEADER += ["opens", "clicks", "sent_at", "scheduled_at"]


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(queryset: Any, zone: Any) -> Iterator[list[str]]:
    yield CSV_HEADER
    for email in queryset.iterator(chunk_size=500):
        by_kind: dict[str, list[str]] = {"to": [], "cc": []}
        for recipient in email.recipients.all():
            by_kind.setdefault(recipient.kind, []).append(recipient.address)
        row = [
            email.pk,
            timezone.localtime(email.date, zone).strftime("%Y-%m-%d %H:%M"),
            email.get_status_display(),
            email.get_email_type_display(),
            email.subject,
            email.from_email,
            "; ".join(by_kind["to"]),
            "; ".join(by_kind["cc"]),
            email.client.name if email.client else "",
            email.contact.full_name if email.contact else "",
            email.open_count,
            email.click_count,
            timezone.localtime(email.sent_at, zone).isoformat() if email.sent_at else "",
            timezone.localtime(email.scheduled_at, zone).isoformat() if email.scheduled_at else "",
        ]
        yield [_csv_cell(value) for value in row]


@require_safe
@login_required
@permission_required("emails.view_email", raise_exception=True)
def email_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered history as CSV, streamed row by row."""
    _form, filters, _ignored = _history(request)
    zone = queries.user_zone(request.user)
    writer = csv.writer(_Echo())
    rows = _csv_rows(queries.email_list(filters, zone=zone), zone)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="emails-{stamp}.csv"'
    return response


# ---- Detail ------------------------------------------------------------------------------


def _email_or_404(pk: int) -> Email:
    try:
        return queries.email_detail(pk)
    except Email.DoesNotExist:
        raise Http404("No such email.") from None


@require_safe
@login_required
@permission_required("emails.view_email", raise_exception=True)
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email_or_404(pk)
    events = list(email.events.all())
    opens = [e for e in events if e.kind == EventKind.OPENED]
    context = {
        "email": email,
        "events": events,
        "zone": queries.user_zone(request.user),
        "proxy_opens": sum(1 for e in opens if e.is_proxy),
        "proxy_clicks": sum(1 for e in events if e.kind == EventKind.CLICKED and e.is_proxy),
        "recipient_groups": [
            (label, group)
            for kind, label in RecipientKind.choices
            if (group := [r for r in email.recipients.all() if r.kind == kind])
        ],
        "attachments": list(email.attachments.all()),
        "links": list(email.links.all()),
        "body_document": sanitize.clean(email.body_html, template=False) if email.body_html else "",
        "thread": _with_documents(queries.email_thread(email), shown=email),
    }
    return render(request, "emails/detail.html", context)


def _with_documents(thread: list[Email], *, shown: Email) -> list[Email]:
    """Each other message of the thread with its sanitized HTML body (`document`)."""
    for message in thread:
        is_shown = message.pk == shown.pk
        message.document = (
            sanitize.clean(message.body_html, template=False)
            if message.body_html and not is_shown
            else ""
        )
    return thread


@require_safe
@login_required
@permission_required("emails.view_email", raise_exception=True)
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """The file, always as a download (never shown inline)."""
    return attachment_response(get_object_or_404(EmailAttachment, pk=attachment_id, email_id=pk))


def attachment_response(attachment: EmailAttachment) -> FileResponse:
    return inert_download(attachment.file, filename=attachment.filename)


# ---- Contact search (the recipient picker) ------------------------------------------------


@require_safe
@login_required
@permission_required("clients.view_contactperson", raise_exception=True)
def contact_search(request: HttpRequest) -> JsonResponse:
    """Contacts with an e-mail address matching `q` (name or address), for tom-select;
    `suppressed` says why mail to the address is refused (bounced, unsubscribed), if it is."""
    term = request.GET.get("q", "").strip()[:100]
    client_id = request.GET.get("client", "")
    client = object_id(client_id)
    if client_id and client is None:  # not an id the database can hold: nobody
        return JsonResponse({"results": []})
    filters = ContactFilters(q=term, client=client)
    results = []
    for contact in clients_queries.contact_list(filters)[:40]:
        addresses = list(contact.email_addresses.all())
        if not addresses:
            continue
        results.append(
            {
                "value": str(contact.pk),
                "text": contact.full_name,
                "email": addresses[0].email,
                "client": contact.client.name,
            }
        )
        if len(results) == 20:
            break
    suppressed = queries.active_suppressions(result["email"] for result in results)
    for result in results:
        found = suppressed.get(result["email"].lower())
        result["suppressed"] = found.why() if found else ""
    return JsonResponse({"results": results})


@require_safe
@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_search(request: HttpRequest) -> JsonResponse:
    """Clients matching `q`, for the composer's client picker."""
    term = request.GET.get("q", "").strip()[:100]
    found = clients_queries.client_list(ClientFilters(q=term)) if term else Client.objects.none()
    results = [{"value": str(c.pk), "text": c.name} for c in found[:20]]
    return JsonResponse({"results": results})


# ---- Composer ----------------------------------------------------------------------------


def _draft(form: ComposeForm) -> services.Draft:
    data = form.cleaned_data
    return services.Draft(
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        template=data["template"],
        subject=data["subject"],
        body_html=data["body_html"],
        email_type=data["email_type"],
        client=data["client"],
        contact=data["contact"],
        deal=data["deal"],
        project=data["project"],
        read_receipt=data["read_receipt"],
        follow_up_days=data["follow_up_days"],
        attachments=[
            services.Attachment(f.name, f.content_type or "", f.read()) for f in data["attachments"]
        ],
    )


def _compose_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    client_id, contact_id = request.GET.get("client", ""), request.GET.get("contact", "")
    client = Client.objects.filter(pk=client_id).first() if client_id.isdigit() else None
    contact = (
        ContactPerson.objects.filter(pk=contact_id, client__deleted_at__isnull=True).first()
        if contact_id.isdigit()
        else None
    )
    if contact is not None:
        client = client or contact.client
        initial.update(contact=contact, to=[contact.pk])
    if client is not None:
        initial["client"] = client
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        initial["template"] = EmailTemplate.objects.filter(pk=template_id).first()
    return initial


def _compose_page(request: HttpRequest, form: ComposeForm, status: int = 200) -> HttpResponse:
    context = {
        "form": flag_errors(form),
        "templates_data": queries.templates_for_picker(),
        "variables": rendering.VARIABLES,
        "max_size_label": filesizeformat(settings.EMAIL_ATTACHMENTS_MAX_BYTES),
        "delivery_enabled": settings.EMAIL_DELIVERY_ENABLED,
        "zone": queries.user_zone(request.user),
    }
    return render(request, "emails/compose.html", context, status=status)


@login_required
@permission_required("emails.add_email", raise_exception=True)
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _compose_page(request, ComposeForm(initial=_compose_initial(request)))
    form = ComposeForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["when"] == LATER:
                email = services.email_schedule(
                    draft=_draft(form),
                    actor=request.user,
                    send_at=data["send_at"].replace(tzinfo=None),
                    zone=data["timezone"],
                )
            else:
                email = services.email_send(draft=_draft(form), actor=request.user)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            level, text = queries.sending_outcome(email)
            getattr(messages, level)(request, text)
            return redirect("emails:detail", pk=email.pk)
    return _compose_page(request, form, status=422)


@login_required
@permission_required("emails.add_email", raise_exception=True)
@require_POST
def compose_preview(request: HttpRequest) -> HttpResponse:
    """The composer's draft as its first recipient would get it (htmx; nothing stored)."""
    form = ComposeForm(request.POST)
    rendered, problems = None, []
    if form.is_valid():
        try:
            rendered = services.draft_preview(draft=_draft(form), actor=request.user)
        except ValidationError as error:
            problems = _problems(form, error)
    else:
        problems = _problems(form, None)
    return render(request, "emails/_preview.html", {"rendered": rendered, "problems": problems})


def _problems(form: forms.Form, error: ValidationError | None) -> list[str]:
    if error is not None:
        _add_service_errors(form, error)
    return [
        f"{form.fields[name].label or capfirst(name) if name in form.fields else 'Email'}: {m}"
        for name, errors in form.errors.items()
        for m in errors
    ]


# ---- Templates ---------------------------------------------------------------------------


class TemplateFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(
        required=False,
        choices=[("", "All categories"), *TemplateCategory.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


@require_safe
@login_required
@permission_required("emails.view_emailtemplate", raise_exception=True)
def template_list(request: HttpRequest) -> HttpResponse:
    form = TemplateFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = queries.TemplateFilters(category=data.get("category", ""), q=data.get("q", ""))
    labels = dict(TemplateCategory.choices)
    groups: dict[str, list[EmailTemplate]] = {}
    for template in queries.template_list(filters).order_by("category", "name"):
        groups.setdefault(template.category, []).append(template)
    context = {
        "form": form,
        "groups": [(labels.get(key, key), rows) for key, rows in groups.items()],
        "filtered": bool(data.get("category") or data.get("q")),
    }
    return render(request, "emails/templates/list.html", context)


def _template_page(
    request: HttpRequest, form: TemplatePageForm, template: EmailTemplate | None
) -> HttpResponse:
    context = {
        "form": flag_errors(form),
        "template_obj": template,
        "variables": rendering.VARIABLES,
    }
    return render(
        request,
        "emails/templates/form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


@login_required
@permission_required("emails.add_emailtemplate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    form = TemplatePageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        template = services.template_create(fields=form.cleaned_data, actor=request.user)
        messages.success(request, f"The template “{template.name}” was added.")
        return redirect("email_templates:list")
    return _template_page(request, form, None)


@login_required
@permission_required("emails.change_emailtemplate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    form = TemplatePageForm(request.POST if request.method == "POST" else None, instance=template)
    if request.method == "POST" and form.is_valid():
        services.template_update(template=template, fields=form.cleaned_data, actor=request.user)
        messages.success(request, f"The template “{template.name}” was saved.")
        return redirect("email_templates:list")
    return _template_page(request, form, template)


@login_required
@permission_required("emails.delete_emailtemplate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    if request.method == "POST":
        services.template_delete(template=template, actor=request.user)
        messages.success(request, f"The template “{template.name}” was deleted.")
        return redirect("email_templates:list")
    return render(request, "emails/templates/confirm_delete.html", {"template_obj": template})


@login_required
@permission_required("emails.add_emailtemplate", raise_exception=True)
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The editor's unsaved subject and body as a contact would get them (htmx)."""
    rendered, problems = None, []
    contact_id = request.POST.get("preview_contact", "")
    contact = (
        ContactPerson.objects.filter(pk=contact_id, client__deleted_at__isnull=True)
        .select_related("client")
        .prefetch_related("email_addresses")
        .first()
        if contact_id.isdigit()
        else None
    )
    try:
        subject = clean_subject_source(request.POST.get("subject", ""))
        body = clean_body_source(request.POST.get("body_html", ""))
        if contact is None:
            problems = ["Pick a contact to preview the template for."]
        else:
            draft = EmailTemplate(subject=subject, body_html=body)
            rendered = services.preview(template=draft, contact=contact, actor=request.user)
    except ValidationError as error:
        problems = error.messages
    return render(request, "emails/_preview.html", {"rendered": rendered, "problems": problems})
