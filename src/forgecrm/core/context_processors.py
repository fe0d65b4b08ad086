from django.http import HttpRequest
from django.urls import reverse

from forgecrm.timeline.search import searchable

NAV_ITEMS = (
    ("Dashboard", "core:dashboard", "speedometer2", None),
    ("Clients", "clients:list", "building", "clients.view_client"),
    ("Calendar", "events:calendar", "calendar3", "events.view_importantdate"),
    ("Emails", "emails:list", "envelope", "emails.view_email"),
    ("Follow-ups", "followups:dashboard", "alarm", "followups.view_followuptask"),
    ("Mailbox", "mailbox:status", "mailbox2", "mailbox.view_mailboxrun"),
)


def navigation(request: HttpRequest) -> dict:
    """The sidebar: only the sections the signed-in user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": label, "url": reverse(name), "icon": icon, "active": _is_active(request, name)}
        for label, name, icon, perm in NAV_ITEMS
        if perm is None or user.has_perm(perm)
    ]
    return {"nav_items": items, "can_search": bool(searchable(user))}


def _is_active(request: HttpRequest, url_name: str) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    return match.view_name == url_name or (
        url_name != "core:dashboard" and match.namespace == url_name.split(":")[0]
    )
