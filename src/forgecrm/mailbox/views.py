"""The mailbox pages (admins and managers): the reader's status panel with "Read now" and
"Full re-scan", and the messages it could not file (unmatched) or read (failed)."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST, require_safe

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.core.api import object_id
from forgecrm.core.pagination import page_of
from forgecrm.mailbox import queries, services, triage
from forgecrm.mailbox.models import MailboxFolder, MailboxMessage, MessageStatus

PAGE_SIZE = 25
VIEW = "mailbox.view_mailboxrun"
READ = "mailbox.add_mailboxrun"
VIEW_MESSAGES = "mailbox.view_mailboxmessage"
FILE_MESSAGES = "mailbox.change_mailboxmessage"


# ---- Status panel ---------------------------------------------------------------------------


def _asked_at(request: HttpRequest) -> datetime | None:
    value = parse_datetime(request.GET.get("asked", ""))
    return value if value is not None and timezone.is_aware(value) else None


def _runs_context(asked_at: datetime | None) -> dict[str, Any]:
    runs = queries.recent_runs(asked_at=asked_at, now=timezone.now())
    return {"runs": runs, "asked": asked_at.isoformat() if asked_at else ""}


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def status(request: HttpRequest) -> HttpResponse:
    context = {"status": queries.mailbox_status(), **_runs_context(_asked_at(request))}
    return render(request, "mailbox/status.html", context)


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def runs(request: HttpRequest) -> HttpResponse:
    """The runs table (htmx polls it while a read is asked for or going)."""
    return render(request, "mailbox/_runs.html", _runs_context(_asked_at(request)))


def _request_read(request: HttpRequest, *, rescan: bool) -> HttpResponse:
    asked_at = timezone.now()
    try:
        triage.request_read(rescan=rescan)
    except triage.ReadRefused as refusal:
        messages.warning(request, str(refusal))
        asked_at = None
    else:
        what = "A full re-scan" if rescan else "A read"
        messages.info(request, f"{what} of the mailbox was asked for; its result shows below.")
    if request.htmx:
        response = render(request, "mailbox/_runs.html", {**_runs_context(asked_at), "fresh": 1})
        patch_vary_headers(response, ("HX-Request",))
        return response
    url = reverse("mailbox:status")
    return redirect(f"{url}?asked={asked_at.isoformat()}" if asked_at else url)


@require_POST
@login_required
@permission_required(READ, raise_exception=True)
def read_now(request: HttpRequest) -> HttpResponse:
    return _request_read(request, rescan=False)


@require_POST
@login_required
@permission_required(READ, raise_exception=True)
def rescan(request: HttpRequest) -> HttpResponse:
    return _request_read(request, rescan=True)


# ---- Unmatched and failed messages ----------------------------------------------------------


class MessageFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    folder = forms.ModelChoiceField(
        queryset=MailboxFolder.objects.order_by("name"),
        required=False,
        empty_label="Any folder",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    ignored = forms.BooleanField(label="Show ignored", required=False)

    def filters(self, *, failed: bool) -> queries.MessageFilters:
        self.is_valid()
        data = self.cleaned_data
        if data.get("ignored"):
            state = MessageStatus.IGNORED
        else:
            state = MessageStatus.FAILED if failed else MessageStatus.UNMATCHED
        folder = data.get("folder")
        return queries.MessageFilters(
            status=state,
            q=data.get("q") or "",
            folder=folder.pk if folder else None,
            unreadable=failed,
        )


def _message_list(request: HttpRequest, *, failed: bool) -> HttpResponse:
    form = MessageFilterForm(request.GET)
    filters = form.filters(failed=failed)
    page = page_of(request, queries.message_list(filters), per_page=PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "failed": failed,
        "filtered": bool(filters.q or filters.folder),
        "showing_ignored": filters.status == MessageStatus.IGNORED,
        "tab": "failed" if failed else "unmatched",
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "mailbox/_messages.html" if partial else "mailbox/messages.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def unmatched(request: HttpRequest) -> HttpResponse:
    return _message_list(request, failed=False)


@require_safe
@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def failed(request: HttpRequest) -> HttpResponse:
    return _message_list(request, failed=True)


@require_POST
@login_required
@permission_required(FILE_MESSAGES, raise_exception=True)
def ignore(request: HttpRequest) -> HttpResponse:
    """Ignore the ticked unmatched messages (or the one message whose page this is), or
    dismiss the ticked unreadable ones (from the Failed tab)."""
    ids = [pk for pk in map(object_id, request.POST.getlist("ids")) if pk is not None]
    changed = triage.ignore_messages(ids=ids, actor=request.user)
    failed = request.POST.get("tab") == "failed"
    done = "dismissed" if failed else "ignored"
    if changed:
        messages.success(request, f"{changed} message{'s' if changed != 1 else ''} {done}.")
    else:
        messages.info(request, f"Nothing was {done}: tick the messages first.")
    return redirect(reverse("mailbox:failed" if failed else "mailbox:unmatched"))


class IdChoiceField(forms.ModelChoiceField):
    """A row by its id; an id too big for the database is an invalid choice, not a 500."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and object_id(value) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class AssignForm(forms.Form):
    client = IdChoiceField(
        queryset=Client.objects.all(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "Pick the client this message is about."},
    )
    contact = IdChoiceField(
        queryset=ContactPerson.objects.all(),
        required=False,
        empty_label="Nobody in particular",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["client"].widget.attrs["data-client-search"] = reverse("emails:client_search")
        chosen_id = object_id(self["client"].value()) if self.is_bound else None
        # Only the chosen client is rendered; the picker finds others as you type.
        self.fields["client"].widget.choices = [
            ("", "Type a company name"),
            *((c.pk, c.name) for c in Client.objects.filter(pk=chosen_id)),
        ]
        self.fields["contact"].queryset = (
            queries.contacts_of(chosen_id) if chosen_id else ContactPerson.objects.none()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        client, contact = data.get("client"), data.get("contact")
        if client and contact and contact.client_id != client.pk:
            self.add_error("contact", "This person does not work for that client.")
        return data


def _message_or_404(pk: int) -> MailboxMessage:
    try:
        return queries.message_detail(pk)
    except MailboxMessage.DoesNotExist:
        raise Http404("No such message.") from None


def _message_page(
    request: HttpRequest, message: MailboxMessage, form: AssignForm, status: int = 200
) -> HttpResponse:
    context = {
        "message": message,
        "form": form,
        "fileable": services.is_fileable(message),
        "unapplied_bounces": queries.unapplied_bounces(message),
    }
    return render(request, "mailbox/message.html", context, status=status)


@require_safe
@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _message_page(request, _message_or_404(pk), AssignForm())


@require_POST
@login_required
@permission_required(FILE_MESSAGES, raise_exception=True)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """File the message on a client (and contact): it becomes an inbound email there."""
    message = _message_or_404(pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _message_page(request, message, form, status=422)
    client = form.cleaned_data["client"]
    try:
        email = services.file_inbound(
            message=message,
            client=client,
            contact=form.cleaned_data["contact"],
            actor=request.user,
        )
    except services.AlreadyFiled as refused:
        messages.warning(request, str(refused))
        return redirect("mailbox:message", pk=message.pk)
    messages.success(request, f"Filed on {client.name}: it is on the client's timeline.")
    return redirect("emails:detail", pk=email.pk)


@require_safe
@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def contact_options(request: HttpRequest) -> HttpResponse:
    """The contact <select> of the assign form for the chosen client (htmx)."""
    form = AssignForm(request.GET)
    return render(request, "mailbox/_contact_field.html", {"form": form})
