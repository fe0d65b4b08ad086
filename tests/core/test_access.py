"""Walk every URL pattern of the CRM pages and API and prove who may do what.

New URLs are picked up automatically, so a view added without its permission check fails here.
"""

import re

import pytest
from auditlog.models import LogEntry
from django.urls import URLPattern, URLResolver, get_resolver

from forgecrm.clients.models import Client, ContactPerson
from tests.factories import ContactFactory

PROTECTED_PREFIXES = ("admin/crm/", "api/admin/crm/")
WRITE_METHODS = ("post", "put", "patch", "delete")
# Pages any signed-in user may open (they show only what the user's role allows).
OPEN_TO_SIGNED_IN = {"admin/crm/"}
# Public on purpose: mail clients fetch the open-tracking pixel without signing in (its token
# is random; a forged one finds nothing, see tests/emails).
# The unsubscribe page (/u/<token>/, outside these prefixes) is public for the same reason:
# recipients and their mail apps' one-click POST reach it without an account.
PUBLIC = {"api/admin/crm/emails/track/<token>", "u/^(?P<token>[A-Za-z0-9_-]{16,64})/$"}
# A viewer's own notifications: opening and marking them read changes only that user's read
# state, never CRM data, so a viewer's POST may go through (302) or find no row of theirs (404).
PERSONAL_WRITES = {
    "admin/crm/notifications/<int:pk>/open/",
    "admin/crm/notifications/<int:pk>/read/",
    "admin/crm/notifications/read-all/",
}


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def protected_routes() -> list[str]:
    routes = sorted(set(_walk(get_resolver().url_patterns)))
    return [r for r in routes if r.startswith(PROTECTED_PREFIXES) and r not in PUBLIC]


def concrete_url(route: str, object_id: int) -> str:
    """'admin/crm/clients/<int:pk>/' -> '/admin/crm/clients/7/'."""
    route = re.sub(r"<(?:int:)?\w+>", str(object_id), route)
    route = route.replace("^", "").replace("$", "")
    return "/" + route


def test_the_walk_finds_the_pages_and_the_api():
    routes = protected_routes()
    assert any(r.startswith("admin/crm/clients") for r in routes)
    assert any(r.startswith("api/admin/crm/clients") for r in routes)
    assert any(r.startswith("api/admin/crm/contacts") for r in routes)


@pytest.fixture
def contact(db) -> ContactPerson:
    return ContactFactory()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", *WRITE_METHODS])
def test_anonymous_is_refused_everywhere(client, contact, method):
    for route in protected_routes():
        url = concrete_url(route, contact.pk)
        response = getattr(client, method)(url)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), url
        else:
            assert response.status_code in (401, 403, 405), (method, url, response.status_code)


@pytest.mark.django_db
def test_a_signed_in_user_without_a_role_sees_no_crm_data(outsider, client, contact):
    client.force_login(outsider)
    for route in protected_routes():
        if route in OPEN_TO_SIGNED_IN:
            continue
        response = client.get(concrete_url(route, contact.pk))
        assert response.status_code in (403, 405), (route, response.status_code)


# Everything else the site serves: each must be named here, as needing a signed-in user
# (any role: personal settings) or as public on purpose, so a new URL is never unchecked.
SIGNED_IN_ONLY = {
    "accounts/settings/",
    "accounts/settings/tokens/<int:pk>/revoke/",
    "calendar/feed/",
    "api/docs",
    "api/openapi.json",
    "accounts/logout/",
}
PUBLIC_ON_PURPOSE = {
    "",  # redirects to the dashboard, which needs signing in
    "accounts/login/",
    "api/",  # the API's root: nothing but 404
    "calendar/<str:token>.ics",  # the private feed: its token is the key (tests/events)
    "t/^(?P<token>[A-Za-z0-9_-]{16,64})\\.gif$",  # the open pixel
    "t/^(?P<token>[A-Za-z0-9_-]{16,64})/c/(?P<link_token>[A-Za-z0-9_-]{16,64})$",  # a click
    "u/^(?P<token>[A-Za-z0-9_-]{16,64})/$",  # unsubscribe
}


def other_routes() -> set[str]:
    routes = set(_walk(get_resolver().url_patterns))
    return {
        r for r in routes if not r.startswith((*PROTECTED_PREFIXES, "django-admin/", "static/"))
    }


def test_every_other_url_is_named_as_signed_in_only_or_public_on_purpose():
    assert other_routes() == SIGNED_IN_ONLY | PUBLIC_ON_PURPOSE


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in_from_the_personal_pages(client, method):
    for route in SIGNED_IN_ONLY:
        url = concrete_url(route, 1)
        response = getattr(client, method)(url)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), url
        else:
            assert response.status_code in (401, 403, 405), (method, url, response.status_code)


def test_uploaded_files_are_never_served_as_they_are():
    """Attachments and documents go out only through views that check permissions and
    force a download; there is no URL under MEDIA_URL."""
    assert not any(
        r.startswith(("media/", "^media/")) for r in set(_walk(get_resolver().url_patterns))
    )


@pytest.mark.django_db
def test_a_viewer_can_read_but_cannot_write(viewer, client, contact):
    client.force_login(viewer)
    readable = [
        "/admin/crm/clients/",
        f"/admin/crm/clients/{contact.client_id}/",
        "/api/admin/crm/clients",
        f"/api/admin/crm/clients/{contact.client_id}",
        "/api/admin/crm/contacts",
        f"/api/admin/crm/contacts/{contact.pk}",
    ]
    for url in readable:
        assert client.get(url).status_code == 200, url

    audit_entries, clients, contacts = (
        LogEntry.objects.count(),
        Client.all_objects.filter(deleted_at__isnull=True).count(),
        ContactPerson.all_objects.filter(deleted_at__isnull=True).count(),
    )
    payload = {"name": "Viewer Was Here", "first_name": "Viewer", "client": contact.client_id}
    for route in protected_routes():
        url = concrete_url(route, contact.pk)
        for method in WRITE_METHODS:
            if route.startswith("api/"):
                response = getattr(client, method)(url, payload, content_type="application/json")
            else:
                response = getattr(client, method)(url, payload)
            allowed = (302, 403, 404, 405) if route in PERSONAL_WRITES else (403, 405)
            assert response.status_code in allowed, (method, url, response.status_code)

    assert LogEntry.objects.count() == audit_entries
    assert Client.all_objects.filter(deleted_at__isnull=True).count() == clients
    assert ContactPerson.all_objects.filter(deleted_at__isnull=True).count() == contacts


# Pages only some roles may open, beyond "signed in with a CRM role".
ADMIN_ONLY = ("admin/crm/followups/rules/", "admin/crm/notifications/settings/")
ADMIN_AND_MANAGER = ("admin/crm/mailbox/", "api/admin/crm/mailbox")


def _routes_under(prefixes: tuple[str, ...]) -> list[str]:
    return [r for r in protected_routes() if r.startswith(prefixes)]


def test_the_role_only_pages_are_found():
    assert _routes_under(ADMIN_ONLY) and _routes_under(ADMIN_AND_MANAGER)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("member", ADMIN_ONLY + ADMIN_AND_MANAGER),
        ("viewer", ADMIN_ONLY + ADMIN_AND_MANAGER),
        ("manager", ADMIN_ONLY),
    ],
)
def test_roles_are_refused_the_pages_above_them(request, client, contact, role, refused):
    client.force_login(request.getfixturevalue(role))
    for route in _routes_under(refused):
        url = concrete_url(route, contact.pk)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 405), (role, method, url, response.status_code)
