"""Pages for clients and their contact persons.

Views only translate HTTP: forms validate, services write, queries read.
"""

import math
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forgecrm.clients import queries, services
from forgecrm.clients.forms import Bundle, ClientBundle, ContactBundle, DocumentForm
from forgecrm.clients.models import Client, ClientDocument, ContactPerson, RelationshipStatus, Tier
from forgecrm.clients.queries import CLIENT_ORDERINGS, ClientFilters
from forgecrm.core.files import inert_download
from forgecrm.core.pagination import page_of
from forgecrm.emails import queries as emails_queries
from forgecrm.timeline.views import panel_context as timeline_panel

PAGE_SIZE = 25

ORDER_LABELS = {
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "-client_since": "Newest clients first",
    "client_since": "Longest-standing first",
    "-created": "Recently added",
    "created": "Added first",
    "-lifetime_value": "Highest lifetime value",
    "lifetime_value": "Lowest lifetime value",
}
assert set(ORDER_LABELS) <= set(CLIENT_ORDERINGS)


# --- List ---------------------------------------------------------------------------------


class ClientFilterForm(forms.Form):
    """The list's GET parameters. Invalid ones are ignored (and said so), never a 500."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *RelationshipStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    tier = forms.ChoiceField(
        required=False,
        choices=[("", "Any tier"), *Tier.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    industry = forms.ChoiceField(
        required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    client_since_from = forms.DateField(
        label="Client since (from)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    client_since_to = forms.DateField(
        label="Client since (to)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    order = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=list(ORDER_LABELS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, industries: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", "Any industry")] + [(i, i) for i in industries]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("client_since_from"), data.get("client_since_to")
        if start and end and start > end:
            self.add_error("client_since_to", "The end date is before the start date.")
        return data

    def filters(self) -> tuple[ClientFilters, list[str]]:
        """The valid filters, and a message for each ignored parameter."""
        self.is_valid()
        values = {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name in ClientFilters.__dataclass_fields__
        }
        ignored = [
            f"{self.fields[name].label or capfirst(name)}: {' '.join(errors)}"
            for name, errors in self.errors.items()
            if name in self.fields
        ]
        return ClientFilters(**values), ignored


@require_safe
@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET, industries=queries.industries())
    filters, ignored = form.filters()
    page = page_of(request, queries.client_list(filters), per_page=PAGE_SIZE)
    filtered = any(
        getattr(filters, name) != default
        for name, default in vars(ClientFilters()).items()
        if name != "order"
    )
    context = {"form": form, "page": page, "ignored": ignored, "filtered": filtered}
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "clients/_results.html" if partial else "clients/list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- Profile ------------------------------------------------------------------------------


@require_safe
@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        client = queries.client_detail(pk)
    except Client.DoesNotExist:
        raise Http404("No such client (it may be in the trash).") from None
    emails_queries.mark_suppressed(
        [*client.email_addresses.all()]
        + [row for contact in client.contacts.all() for row in contact.email_addresses.all()]
    )
    context = {
        "client": client,
        "history": queries.client_history(client),
        "documents": queries.client_documents(client),
        "document_form": DocumentForm(),
    }
    context.update(timeline_panel(request, client))
    return render(request, "clients/detail.html", context)


# --- Client and contact forms ------------------------------------------------------------


def error_summary(bundle: Bundle) -> list[dict[str, str]]:
    """Every problem in the bundle, each linking to its field, for the alert at the top."""
    problems = []
    for name, errors in bundle.form.errors.items():
        label = bundle.form.fields[name].label if name in bundle.form.fields else None
        anchor = bundle.form[name].id_for_label if name in bundle.form.fields else ""
        for error in errors:
            problems.append({"label": capfirst(label or ""), "message": error, "anchor": anchor})
    for rows, noun in ((bundle.emails, "E-mail"), (bundle.phones, "Phone")):
        for error in rows.non_form_errors():
            problems.append({"label": f"{noun}s", "message": error, "anchor": ""})
        for index, row in enumerate(rows.forms):
            for name, errors in row.errors.items():
                anchor = row[name].id_for_label if name in row.fields else ""
                for error in errors:
                    problems.append(
                        {"label": f"{noun} {index + 1}", "message": error, "anchor": anchor}
                    )
    return problems


def _form_page(request: HttpRequest, template: str, bundle: Bundle, **context: Any) -> HttpResponse:
    invalid = request.method == "POST"
    context.update(
        bundle=bundle,
        form=bundle.form,
        problems=error_summary(bundle) if invalid else [],
    )
    return render(request, template, context, status=422 if invalid else 200)


def _alive_client(pk: int) -> Client:
    return get_object_or_404(Client.objects.all(), pk=pk)


def _alive_contact(pk: int) -> ContactPerson:
    contacts = ContactPerson.objects.select_related("client").filter(
        client__deleted_at__isnull=True
    )
    return get_object_or_404(contacts, pk=pk)


@login_required
@permission_required("clients.add_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    bundle = ClientBundle(request.POST if request.method == "POST" else None)
    if request.method == "POST" and bundle.is_valid():
        client = services.client_create(**bundle.cleaned, actor=request.user)
        messages.success(request, f"“{client.name}” was added.")
        return redirect(client)
    return _form_page(request, "clients/client_form.html", bundle, client=None)


@login_required
@permission_required("clients.change_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _alive_client(pk)
    bundle = ClientBundle(request.POST if request.method == "POST" else None, instance=client)
    if request.method == "POST" and bundle.is_valid():
        services.client_update(client=client, **bundle.cleaned, actor=request.user)
        messages.success(request, f"“{client.name}” was saved.")
        return redirect(client)
    return _form_page(request, "clients/client_form.html", bundle, client=client)


@login_required
@permission_required("clients.add_contactperson", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = _alive_client(pk)
    bundle = ContactBundle(request.POST if request.method == "POST" else None)
    if request.method == "POST" and bundle.is_valid():
        contact = services.contact_create(client=client, **bundle.cleaned, actor=request.user)
        messages.success(request, f"{contact.full_name} was added to {client.name}.")
        return redirect(contact)
    return _form_page(request, "clients/contact_form.html", bundle, client=client, contact=None)


@login_required
@permission_required("clients.change_contactperson", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _alive_contact(pk)
    bundle = ContactBundle(request.POST if request.method == "POST" else None, instance=contact)
    if request.method == "POST" and bundle.is_valid():
        services.contact_update(contact=contact, **bundle.cleaned, actor=request.user)
        messages.success(request, f"{contact.full_name} was saved.")
        return redirect(contact)
    return _form_page(
        request, "clients/contact_form.html", bundle, client=contact.client, contact=contact
    )


# --- Delete, trash, restore ---------------------------------------------------------------


@login_required
@permission_required("clients.delete_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_delete(request: HttpRequest, pk: int) -> HttpResponse:
    client = _alive_client(pk)
    if request.method == "POST":
        services.client_delete(client=client, actor=request.user)
        trash = reverse("clients:trash") + f"#client-{client.pk}"
        messages.success(
            request,
            format_html('“{}” moved to the trash. <a href="{}">Undo</a>', client.name, trash),
        )
        return redirect("clients:list")
    return render(
        request,
        "clients/client_confirm_delete.html",
        {"client": client, "retention_days": settings.SOFT_DELETE_RETENTION_DAYS},
    )


@login_required
@permission_required("clients.delete_contactperson", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _alive_contact(pk)
    if request.method == "POST":
        services.contact_delete(contact=contact, actor=request.user)
        trash = reverse("clients:trash") + f"?show=contacts#contact-{contact.pk}"
        text = '{} was moved to the trash from {}. <a href="{}">Undo</a>'
        messages.success(request, format_html(text, contact.full_name, contact.client.name, trash))
        return redirect(contact.client)
    return render(
        request,
        "clients/contact_confirm_delete.html",
        {
            "contact": contact,
            "client": contact.client,
            "retention_days": settings.SOFT_DELETE_RETENTION_DAYS,
        },
    )


def _with_days_left(page: Any) -> None:
    """Give each trashed row of `page` the day it goes for good and the days until then."""
    retention = timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS)
    now = timezone.now()
    for row in page:
        row.purge_at = row.deleted_at + retention
        row.days_left = max(math.ceil((row.purge_at - now) / timedelta(days=1)), 0)


@require_safe
@login_required
@permission_required("clients.delete_client", raise_exception=True)
def client_trash(request: HttpRequest) -> HttpResponse:
    """Deleted clients, or (`?show=contacts`) deleted contact persons of live clients."""
    showing_contacts = request.GET.get("show") == "contacts"
    if showing_contacts:
        deleted = queries.trashed_contacts()
    else:
        deleted = (
            queries.client_list(ClientFilters(), deleted=True)
            .select_related("deleted_by")
            .order_by("-deleted_at", "-id")
        )
    page = page_of(request, deleted, per_page=PAGE_SIZE)
    _with_days_left(page)
    context = {
        "page": page,
        "showing_contacts": showing_contacts,
        "retention_days": settings.SOFT_DELETE_RETENTION_DAYS,
    }
    return render(request, "clients/trash.html", context)


@login_required
@permission_required("clients.delete_client", raise_exception=True)
@require_POST
def client_restore(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.all_objects.filter(deleted_at__isnull=False), pk=pk)
    services.client_restore(client=client, actor=request.user)
    messages.success(request, f"“{client.name}” is back from the trash.")
    return redirect(client)


@login_required
@permission_required("clients.delete_contactperson", raise_exception=True)
@require_POST
def contact_restore(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(queries.trashed_contacts(), pk=pk)
    services.contact_restore(contact=contact, actor=request.user)
    messages.success(request, f"{contact.full_name} is back with {contact.client.name}.")
    return redirect(contact.get_absolute_url())


# --- Documents ----------------------------------------------------------------------------


@login_required
@permission_required("clients.change_client", raise_exception=True)
@require_POST
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = _alive_client(pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        document = services.document_add(
            client=client, upload=form.cleaned_data["file"], actor=request.user
        )
        messages.success(request, f"{document.filename} is kept on {client}.")
    else:
        messages.error(request, " ".join(form.errors.get("file", ["Choose a file to add."])))
    return redirect(reverse("clients:detail", args=[client.pk]) + "#documents-heading")


@require_safe
@login_required
@permission_required("clients.view_client", raise_exception=True)
def document_download(request: HttpRequest, pk: int, document_id: int) -> FileResponse:
    document = get_object_or_404(ClientDocument, pk=document_id, client=_alive_client(pk))
    return inert_download(document.file, filename=document.filename)


@login_required
@permission_required("clients.delete_clientdocument", raise_exception=True)
@require_POST
def document_delete(request: HttpRequest, pk: int, document_id: int) -> HttpResponse:
    document = get_object_or_404(ClientDocument, pk=document_id, client=_alive_client(pk))
    services.document_delete(document=document, actor=request.user)
    messages.success(request, f"{document.filename} was removed.")
    return redirect(reverse("clients:detail", args=[pk]) + "#documents-heading")
