"""The global search: clients, contacts, e-mails and communications, grouped by kind.

Every kind is matched with the database's full-text index (see fulltext.py) and shown
only to users with its view permission; communications also hide other people's private
notes, and nothing of a client in the trash is shown.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.clients.queries import normalize_search
from forgecrm.emails.models import Email
from forgecrm.timeline import fulltext
from forgecrm.timeline.queries import visible_communications

SNIPPET_LENGTH = 160


@dataclass(frozen=True)
class Hit:
    title: SafeString
    url: str
    icon: str
    meta: str
    snippet: SafeString
    when: datetime | None = None


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    order: str
    hits: list[Hit]
    has_more: bool


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    order: str
    permission: str
    search: Callable[[Any, str, "Highlighter", slice], list[Hit]]


class Highlighter:
    """Marks the searched words in a text."""

    def __init__(self, words: list[str]):
        longest_first = sorted(words, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, longest_first)), re.IGNORECASE)

    def found_in(self, text: str) -> bool:
        return self.pattern.search(text) is not None

    def all(self, text: str) -> SafeString:
        """`text`, escaped, with every searched word in <mark>."""
        pieces, last = [], 0
        for match in self.pattern.finditer(text):
            pieces += [escape(text[last : match.start()]), f"<mark>{escape(match[0])}</mark>"]
            last = match.end()
        pieces.append(escape(text[last:]))
        return mark_safe("".join(pieces))

    def snippet(self, text: str, *, length: int = SNIPPET_LENGTH) -> SafeString:
        """About `length` characters of `text` around the first searched word, marked."""
        text = " ".join(text.split())
        found = self.pattern.search(text)
        start = max(0, found.start() - length // 3) if found else 0
        prefix = "…" if start else ""
        suffix = "…" if start + length < len(text) else ""
        return mark_safe(prefix + self.all(text[start : start + length]) + suffix)


def _clients(user: Any, q: str, mark: Highlighter, window: slice) -> list[Hit]:
    order = ("name", "id")
    return [
        Hit(
            title=mark.all(client.name),
            url=client.get_absolute_url(),
            icon="building",
            meta=" · ".join(filter(None, [client.get_status_display(), client.industry])),
            snippet=mark.snippet(client.search_text) if not mark.found_in(client.name) else "",
        )
        for client in fulltext.top_matching(
            Client.objects.defer("notes"), q, order=order, window=window
        )
    ]


def _contacts(user: Any, q: str, mark: Highlighter, window: slice) -> list[Hit]:
    queryset = (
        ContactPerson.objects.filter(client__deleted_at__isnull=True)
        .select_related("client")
        .only("first_name", "last_name", "job_title", "client__name", "search_text", "client_id")
    )
    order = ("first_name", "last_name", "id")
    return [
        Hit(
            title=mark.all(contact.full_name),
            url=contact.get_absolute_url(),
            icon="person",
            meta=" · ".join(filter(None, [contact.job_title, contact.client.name])),
            snippet=(
                mark.snippet(contact.search_text) if not mark.found_in(contact.full_name) else ""
            ),
        )
        for contact in fulltext.top_matching(queryset, q, order=order, window=window)
    ]


def _communications(user: Any, q: str, mark: Highlighter, window: slice) -> list[Hit]:
    queryset = (
        visible_communications(user)
        .select_related("client")
        .only("kind", "subject", "content", "outcome", "next_steps", "occurred_at", "client__name")
    )
    hits = []
    for entry in fulltext.top_matching(queryset, q, order=("-pk",), window=window):
        text = " ".join(filter(None, [entry.content, entry.outcome, entry.next_steps]))
        hits.append(
            Hit(
                title=mark.all(entry.subject or Truncator(entry.content).words(8)),
                url=entry.get_absolute_url(),
                icon=entry.icon,
                meta=f"{entry.get_kind_display()} · {entry.client.name}",
                snippet=mark.snippet(text),
                when=entry.occurred_at,
            )
        )
    return hits


def _emails(user: Any, q: str, mark: Highlighter, window: slice) -> list[Hit]:
    queryset = (
        Email.objects.filter(Q(client__isnull=True) | Q(client__deleted_at__isnull=True))
        .select_related("client")
        .only(
            "subject",
            "body_text",
            "from_email",
            "direction",
            "created_at",
            "sent_at",
            "client__name",
        )
    )
    return [
        Hit(
            title=mark.all(email.subject or "(no subject)"),
            url=reverse("emails:detail", args=[email.pk]),
            icon="envelope",
            meta=" · ".join(filter(None, [email.get_direction_display(), _client_name(email)])),
            snippet=mark.snippet(email.body_text),
            when=email.sent_at or email.created_at,
        )
        for email in fulltext.top_matching(queryset, q, order=("-pk",), window=window)
    ]


def _client_name(email: Email) -> str:
    return email.client.name if email.client_id else email.from_email


KINDS = (
    Kind("clients", "Clients", "A–Z", "clients.view_client", _clients),
    Kind("contacts", "Contact persons", "A–Z", "clients.view_contactperson", _contacts),
    Kind(
        "communications",
        "Communications",
        "latest logged first",
        "timeline.view_communication",
        _communications,
    ),
    Kind("emails", "E-mails", "latest first", "emails.view_email", _emails),
)


def searchable(user: Any) -> list[Kind]:
    """The kinds `user` may search."""
    return [kind for kind in KINDS if user.has_perm(kind.permission)]


def global_search(
    user: Any, q: str, *, per_kind: int, only: str = "", page: int = 1
) -> list[Group]:
    """Up to `per_kind` hits of each kind `user` may see (of kind `only` if given)."""
    q = normalize_search(q)
    words = fulltext.terms(q)
    if not words:
        return []
    mark = Highlighter(words)
    start = (page - 1) * per_kind
    window = slice(start, start + per_kind + 1)
    groups = []
    for kind in searchable(user):
        if only and kind.key != only:
            continue
        hits = kind.search(user, q, mark, window)
        groups.append(
            Group(kind.key, kind.label, kind.order, hits[:per_kind], len(hits) > per_kind)
        )
    return groups
