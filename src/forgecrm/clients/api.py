"""The clients and contacts API: thin views over clients.forms, services and queries.

Bodies are validated by the same form bundles as the pages; writes go through the
services (which audit them as `request.auth`); lists use the querysets of queries.py.
"""

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from forgecrm.clients import queries, services
from forgecrm.clients.forms import Bundle, ClientBundle, ContactBundle
from forgecrm.clients.models import Client, ContactPerson
from forgecrm.clients.schemas import (
    ClientIn,
    ClientListItem,
    ClientOut,
    ClientQuery,
    ContactCreateIn,
    ContactDetailOut,
    ContactIn,
    ContactQuery,
)
from forgecrm.core.api import FieldErrors, Page, paginate, requires

clients_router = Router(tags=["clients"])
contacts_router = Router(tags=["contacts"])


def _cleaned(bundle: Bundle) -> dict[str, Any]:
    """The bundle's `fields`, `emails` and `phones`, or a 422 with the form's messages."""
    if not bundle.is_valid():
        raise FieldErrors(bundle.errors)
    return bundle.cleaned


# ---- Clients ----


def _client_detail(client_id: int) -> Client:
    try:
        return queries.client_detail(client_id)
    except Client.DoesNotExist:
        raise Http404 from None


@clients_router.get("", response=Page[ClientListItem], auth=requires("clients.view_client"))
def list_clients(request: HttpRequest, filters: Query[ClientQuery]) -> dict:
    """Clients, filtered and paginated; `deleted=true` lists the trash."""
    if filters.deleted and not request.auth.has_perm("clients.delete_client"):
        raise HttpError(403, "You do not have permission to see the trash.")
    queryset = queries.client_list(filters.to_filters(), deleted=filters.deleted)
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@clients_router.get("/{client_id}", response=ClientOut, auth=requires("clients.view_client"))
def get_client(request: HttpRequest, client_id: int) -> Client:
    return _client_detail(client_id)


@clients_router.post("", response={201: ClientOut}, auth=requires("clients.add_client"))
def create_client(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    cleaned = _cleaned(ClientBundle.from_json(payload.form_data()))
    client = services.client_create(**cleaned, actor=request.auth)
    return Status(201, _client_detail(client.pk))


@clients_router.put("/{client_id}", response=ClientOut, auth=requires("clients.change_client"))
def update_client(request: HttpRequest, client_id: int, payload: ClientIn) -> Client:
    """Change a client; fields left out of the body keep their current values."""
    client = get_object_or_404(Client.objects, pk=client_id)
    cleaned = _cleaned(ClientBundle.from_json(payload.form_data(), instance=client))
    services.client_update(client=client, **cleaned, actor=request.auth)
    return _client_detail(client_id)


@clients_router.delete("/{client_id}", response={204: None}, auth=requires("clients.delete_client"))
def delete_client(request: HttpRequest, client_id: int) -> Status[None]:
    """Move the client to the trash (see POST .../restore)."""
    client = get_object_or_404(Client.objects, pk=client_id)
    services.client_delete(client=client, actor=request.auth)
    return Status(204, None)


@clients_router.post(
    "/{client_id}/restore", response=ClientOut, auth=requires("clients.delete_client")
)
def restore_client(request: HttpRequest, client_id: int) -> Client:
    """Bring a client back from the trash."""
    client = get_object_or_404(Client.all_objects, pk=client_id, deleted_at__isnull=False)
    services.client_restore(client=client, actor=request.auth)
    return _client_detail(client_id)


# ---- Contacts ----


def _contact_detail(contact_id: int) -> ContactPerson:
    """A contact of a live client, with what the response shows."""
    return get_object_or_404(queries.contact_list(queries.ContactFilters()), pk=contact_id)


@contacts_router.get(
    "", response=Page[ContactDetailOut], auth=requires("clients.view_contactperson")
)
def list_contacts(request: HttpRequest, filters: Query[ContactQuery]) -> dict:
    queryset = queries.contact_list(filters.to_filters())
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@contacts_router.get(
    "/{contact_id}", response=ContactDetailOut, auth=requires("clients.view_contactperson")
)
def get_contact(request: HttpRequest, contact_id: int) -> ContactPerson:
    return _contact_detail(contact_id)


@contacts_router.post(
    "", response={201: ContactDetailOut}, auth=requires("clients.add_contactperson")
)
def create_contact(request: HttpRequest, payload: ContactCreateIn) -> Status[ContactPerson]:
    """Add a person to a client; the client's first contact becomes its primary one."""
    client = Client.objects.filter(pk=payload.client).first()
    if client is None:
        raise FieldErrors({"client": [f"There is no client with id {payload.client}."]})
    cleaned = _cleaned(ContactBundle.from_json(payload.form_data()))
    contact = services.contact_create(client=client, **cleaned, actor=request.auth)
    return Status(201, _contact_detail(contact.pk))


@contacts_router.put(
    "/{contact_id}", response=ContactDetailOut, auth=requires("clients.change_contactperson")
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactIn) -> ContactPerson:
    """Change a contact; fields left out of the body keep their current values."""
    contact = _contact_detail(contact_id)
    cleaned = _cleaned(ContactBundle.from_json(payload.form_data(), instance=contact))
    services.contact_update(contact=contact, **cleaned, actor=request.auth)
    return _contact_detail(contact_id)


@contacts_router.delete(
    "/{contact_id}", response={204: None}, auth=requires("clients.delete_contactperson")
)
def delete_contact(request: HttpRequest, contact_id: int) -> Status[None]:
    """Move the contact to the trash (see POST .../restore)."""
    services.contact_delete(contact=_contact_detail(contact_id), actor=request.auth)
    return Status(204, None)


@contacts_router.post(
    "/{contact_id}/restore",
    response=ContactDetailOut,
    auth=requires("clients.delete_contactperson"),
)
def restore_contact(request: HttpRequest, contact_id: int) -> ContactPerson:
    """Bring a contact back from the trash (its client must not be in the trash)."""
    contact = get_object_or_404(
        ContactPerson.all_objects,
        pk=contact_id,
        deleted_at__isnull=False,
        client__deleted_at__isnull=True,
    )
    services.contact_restore(contact=contact, actor=request.auth)
    return _contact_detail(contact_id)
