"""Who may call the JSON API: session (with CSRF) or personal token, and what each role may do."""

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from forgecrm.accounts.models import ApiToken
from forgecrm.accounts.tokens import api_token_create, api_token_revoke
from forgecrm.clients.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/admin/crm/clients"
NEW_CLIENT = {"name": "Acme Foods"}


def bearer(raw: str) -> HttpClient:
    """A script's HTTP client: it enforces CSRF like a real one and sends the token."""
    return HttpClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")


def browser(user) -> HttpClient:
    """A signed-in browser, with Django's CSRF protection switched on."""
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(user)
    return http


def csrf_token(http: HttpClient) -> str:
    """Open the API docs page, as a browser would, and read the CSRF cookie it sets."""
    assert http.get("/api/docs").status_code == 200
    return http.cookies[settings.CSRF_COOKIE_NAME].value


def test_anonymous_callers_are_refused_with_401(client):
    ClientFactory()
    assert client.get(CLIENTS).status_code == 401
    response = client.post(CLIENTS, NEW_CLIENT, content_type="application/json")
    assert response.status_code == 401
    assert not Client.objects.filter(name="Acme Foods").exists()


@pytest.mark.parametrize(
    "header", ["Bearer fcrm_not-a-real-token", "Bearer ", "Basic dXNlcjpwdw=="]
)
def test_a_wrong_token_is_refused_with_401(client, header):
    assert client.get(CLIENTS, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_token_opens_the_api_for_reading_and_writing(member):
    _, raw = api_token_create(user=member, name="script")
    http = bearer(raw)

    assert http.get(CLIENTS).status_code == 200
    response = http.post(CLIENTS, NEW_CLIENT, content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["username"] == member.username
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused_with_401(member):
    token, raw = api_token_create(user=member, name="old script")
    assert bearer(raw).get(CLIENTS).status_code == 200

    api_token_revoke(token=token)

    assert bearer(raw).get(CLIENTS).status_code == 401
    assert bearer(raw).post(CLIENTS, NEW_CLIENT, content_type="application/json").status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(member):
    _, raw = api_token_create(user=member, name="script")
    member.is_active = False
    member.save()
    assert bearer(raw).get(CLIENTS).status_code == 401


def test_a_session_can_read_without_a_csrf_token(member):
    assert browser(member).get(CLIENTS).status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused(member):
    http = browser(member)
    csrf_token(http)  # the cookie alone is not enough: the page must echo the token

    response = http.post(CLIENTS, NEW_CLIENT, content_type="application/json")

    assert response.status_code == 403
    assert not Client.objects.exists()


def test_a_session_write_with_the_csrf_token_works(member):
    http = browser(member)

    response = http.post(
        CLIENTS, NEW_CLIENT, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(http)
    )

    assert response.status_code == 201, response.content
    assert Client.objects.get().owner == member


def test_a_deactivated_users_session_is_refused(member):
    http = browser(member)
    member.is_active = False
    member.save()
    assert http.get(CLIENTS).status_code == 401


def test_a_user_without_a_role_may_not_read(outsider):
    ClientFactory()
    _, raw = api_token_create(user=outsider, name="script")
    assert bearer(raw).get(CLIENTS).status_code == 403


@pytest.mark.parametrize("body", [{"name": "Acme", "nickname": "A"}, {"name": ["Acme"]}, {}])
def test_a_caller_without_the_right_gets_403_before_the_body_is_checked(viewer, body):
    _, raw = api_token_create(user=viewer, name="script")

    response = bearer(raw).post(CLIENTS, body, content_type="application/json")

    assert response.status_code == 403
    assert "clients.add_client" in response.json()["detail"]
