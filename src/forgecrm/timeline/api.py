"""The communications API: the log of every client's interactions.

Bodies are validated by the quick log's form; writes go through the services (audited as
`request.auth`); lists use the querysets of queries.py, so private notes stay private.
"""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from forgecrm.clients.models import Client
from forgecrm.core.api import FieldErrors, Page, paginate, requires
from forgecrm.timeline import queries, services
from forgecrm.timeline.forms import CommunicationForm
from forgecrm.timeline.models import Communication
from forgecrm.timeline.schemas import (
    CommunicationIn,
    CommunicationOut,
    CommunicationQuery,
    TimelineQuery,
    api_errors,
)

communications_router = Router(tags=["communications"])


@communications_router.get(
    "", response=Page[CommunicationOut], auth=requires("timeline.view_communication")
)
def list_communications(request: HttpRequest, filters: Query[CommunicationQuery]) -> dict:
    """Entries of all clients, newest first, filtered; others' private notes are left out."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise FieldErrors({"date_to": ["The end date is before the start date."]})
    queryset = queries.communication_list(filters.to_filters(), user=request.auth)
    return paginate(queryset, page=filters.page, per_page=filters.per_page)


@communications_router.post(
    "", response={201: CommunicationOut}, auth=requires("timeline.add_communication")
)
def log_communication(request: HttpRequest, payload: CommunicationIn) -> Status[Communication]:
    """Put a call, meeting, message, note or task on a client's timeline."""
    client = Client.objects.filter(pk=payload.client).first()
    if client is None:
        raise FieldErrors({"client": [f"There is no client with id {payload.client}."]})
    form = CommunicationForm(payload.form_data(), client=client)
    if not form.is_valid():
        raise FieldErrors(api_errors(form.errors))
    entry = services.communication_log(client=client, fields=form.cleaned_data, actor=request.auth)
    return Status(201, queries.with_details(Communication.objects.filter(pk=entry.pk)).get())


@communications_router.get(
    "/{client_id}", response=Page[CommunicationOut], auth=requires("timeline.view_communication")
)
def client_timeline(request: HttpRequest, client_id: int, filters: Query[TimelineQuery]) -> dict:
    """One client's timeline, newest first, by type and words."""
    client = get_object_or_404(Client.objects, pk=client_id)
    queryset = queries.client_timeline(
        client, user=request.auth, kind=filters.type or "", q=filters.q
    )
    return paginate(queryset, page=filters.page, per_page=filters.per_page)
