"""Reads for clients and contacts: lists with filters, and the profile page."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db import connections
from django.db.models import Count, Prefetch, QuerySet

from forgecrm.clients.models import (
    Client,
    ClientDocument,
    ClientEmail,
    ClientPhone,
    ContactEmail,
    ContactPerson,
    ContactPhone,
)
from forgecrm.core.audit import HistoryItem, history_for, readable_history
from forgecrm.timeline import fulltext

CLIENT_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "client_since": ("client_since", "id"),
    "-client_since": ("-client_since", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "lifetime_value": ("lifetime_value", "id"),
    "-lifetime_value": ("-lifetime_value", "-id"),
}
CONTACT_ORDERINGS = {
    "name": ("first_name", "last_name", "id"),
    "-name": ("-first_name", "-last_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def folded(text: str) -> str:
    """Text as searched and as stored for searching: lower-case, in Unicode's normal form
    NFC, because different keyboards type the same Bengali letter two ways (য় as one code
    point, or as য and a nukta)."""
    return unicodedata.normalize("NFC", text.lower())


def normalize_search(term: str) -> str:
    """The search box, folded and without NUL (PostgreSQL refuses it in text); a phone-like
    term is reduced to its digits to match stored numbers."""
    term = folded(term.replace("\x00", "").strip())
    if re.fullmatch(r"[+\d][\d\s().-]{5,}", term):
        # Any script's digits (০১৭১১ typed on a Bengali keyboard) as the stored ASCII ones.
        return "".join(str(unicodedata.decimal(ch)) for ch in term if ch.isdecimal())
    return term


def search_text_matching(queryset: QuerySet, text: str) -> QuerySet:
    """Rows whose `search_text` (names, addresses, phone digits) matches the search box.

    PostgreSQL: a substring match served by the trigram index (migration 0002).
    SQLite, which has no such index: its FTS5 index, matching whole words and the last
    word as a prefix ("rahm" finds Rahman, "01711" finds 01711223344).
    """
    term = normalize_search(text)
    if connections[queryset.db].vendor == "postgresql":
        # Every word, in any order ("uddin rahim" finds Rahim Uddin), as SQLite's does.
        for word in term.split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset
    return fulltext.matching(queryset, term)


@dataclass(frozen=True)
class ClientFilters:
    status: str = ""
    tier: str = ""
    industry: str = ""
    client_since_from: date | None = None
    client_since_to: date | None = None
    q: str = ""
    order: str = "name"


def client_list(filters: ClientFilters, *, deleted: bool = False) -> QuerySet[Client]:
    """Clients matching `filters`, with what a list row shows fetched in fixed queries."""
    manager = Client.all_objects if deleted else Client.objects
    queryset = manager.filter(deleted_at__isnull=not deleted)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.tier:
        queryset = queryset.filter(tier=filters.tier)
    if filters.industry:
        queryset = queryset.filter(industry=filters.industry)
    if filters.client_since_from:
        queryset = queryset.filter(client_since__gte=filters.client_since_from)
    if filters.client_since_to:
        queryset = queryset.filter(client_since__lte=filters.client_since_to)
    if filters.q:
        queryset = search_text_matching(queryset, filters.q)
    return (
        queryset.order_by(*CLIENT_ORDERINGS[filters.order])
        .select_related("primary_contact", "owner")
        .prefetch_related(
            Prefetch(
                "email_addresses",
                queryset=ClientEmail.objects.filter(is_primary=True),
                to_attr="primary_emails",
            )
        )
    )


def industries() -> list[str]:
    """Industries in use, for the filter's choices."""
    return list(
        Client.objects.exclude(industry="")
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()
    )


def client_detail(pk: int) -> Client:
    """One client with everything its profile shows, in a fixed number of queries."""
    contacts = ContactPerson.objects.prefetch_related("email_addresses", "phones").order_by(
        "first_name", "last_name", "id"
    )
    return (
        Client.objects.select_related("primary_contact", "owner")
        .prefetch_related(
            "email_addresses",
            "phones",
            Prefetch("contacts", queryset=contacts),
            "projects",
            "subscriptions",
            "deals",
        )
        .get(pk=pk)
    )


def client_history(client: Client, *, limit: int = 50) -> list[HistoryItem]:
    """Audit entries for the client, its contacts and their addresses, newest first."""
    contact_ids = list(ContactPerson.all_objects.filter(client=client).values_list("id", flat=True))
    entries = history_for(
        parents=[(Client, [client.pk]), (ContactPerson, contact_ids)],
        children=[ClientEmail, ClientPhone, ContactEmail, ContactPhone, ClientDocument],
        client_id=client.pk,
    )
    return readable_history(list(entries[:limit]))


@dataclass(frozen=True)
class ContactFilters:
    client: int | None = None
    role: str = ""
    q: str = ""
    order: str = "name"


def contact_list(filters: ContactFilters) -> QuerySet[ContactPerson]:
    queryset = ContactPerson.objects.filter(client__deleted_at__isnull=True)
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    if filters.role:
        queryset = queryset.filter(role=filters.role)
    if filters.q:
        queryset = search_text_matching(queryset, filters.q)
    return (
        queryset.order_by(*CONTACT_ORDERINGS[filters.order])
        .select_related("client")
        .prefetch_related("email_addresses", "phones")
    )


def client_counts_by_status() -> dict[str, int]:
    rows = Client.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def client_documents(client: Client) -> dict[str, list]:
    """Files uploaded to the client, and attachments of e-mails to or from it."""
    from forgecrm.emails.models import EmailAttachment

    return {
        "uploaded": list(client.documents.select_related("uploaded_by")),
        "from_emails": list(
            EmailAttachment.objects.filter(email__client=client)
            .select_related("email")
            .order_by("-email__created_at", "-id")[:50]
        ),
    }


def trashed_contacts() -> QuerySet[ContactPerson]:
    """Contact persons in the trash whose client is not (a deleted client's come back with
    it), latest deleted first."""
    return (
        ContactPerson.all_objects.filter(deleted_at__isnull=False, client__deleted_at__isnull=True)
        .select_related("client", "deleted_by")
        .order_by("-deleted_at", "-id")
    )
