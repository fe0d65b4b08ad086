"""Personas (one user per role) and API clients shared by the suite."""

import pytest
from django.test import Client as HttpClient

from forgecrm.accounts.roles import ADMIN, MANAGER, MEMBER, VIEWER
from forgecrm.accounts.tokens import api_token_create
from tests.factories import UserFactory


@pytest.fixture
def crm_admin(db):
    return UserFactory(username="ayesha", role=ADMIN)


@pytest.fixture
def manager(db):
    return UserFactory(username="mahmud", role=MANAGER)


@pytest.fixture
def member(db):
    return UserFactory(username="nusrat", role=MEMBER)


@pytest.fixture
def viewer(db):
    return UserFactory(username="vikram", role=VIEWER)


@pytest.fixture
def outsider(db):
    """Signed in, but with no role at all."""
    return UserFactory(username="outsider")


def _signed_in(user) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(crm_admin) -> HttpClient:
    return _signed_in(crm_admin)


@pytest.fixture
def member_client(member) -> HttpClient:
    return _signed_in(member)


@pytest.fixture
def viewer_client(viewer) -> HttpClient:
    return _signed_in(viewer)


class ApiClient:
    """JSON calls to /api/admin/crm/... with a personal Bearer token."""

    def __init__(self, user):
        _, self.token = api_token_create(user=user, name="tests")
        self.http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path: str, params: dict | None = None):
        return self.http.get(f"/api/admin/crm{path}", params or {})

    def post(self, path: str, body: dict | None = None):
        return self.http.post(f"/api/admin/crm{path}", body or {}, content_type="application/json")

    def put(self, path: str, body: dict | None = None):
        return self.http.put(f"/api/admin/crm{path}", body or {}, content_type="application/json")

    def delete(self, path: str):
        return self.http.delete(f"/api/admin/crm{path}")


@pytest.fixture
def api(member) -> ApiClient:
    """The API as a member (may read, create and change, not delete)."""
    return ApiClient(member)


@pytest.fixture
def manager_api(manager) -> ApiClient:
    return ApiClient(manager)


@pytest.fixture
def viewer_api(viewer) -> ApiClient:
    return ApiClient(viewer)
