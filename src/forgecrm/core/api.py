"""What every router shares: authentication, the permission check, errors and pagination."""

import math
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from pydantic import Field

from forgecrm.accounts.middleware import use_time_zone_of
from forgecrm.accounts.tokens import user_for_token
from forgecrm.core.pagination import IdFirstPaginator, page_rows

# The largest id the database stores (a 64-bit integer): a bigger one in a filter would
# make the database driver fail (a 500) instead of finding nothing.
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Field(le=MAX_ID)]


def object_id(value: object) -> int | None:
    """An id from a request's text, or None when it is not one the database can hold."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


class PermissionMixin:
    """Authenticate, then refuse with 403 unless the user holds `permission`.

    Raised inside authentication, the refusal comes before Ninja reads the input, so a
    caller without the right learns nothing about the body it may not send.
    """

    def __init__(self, permission: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.permission = permission

    def authorized(self, user: Any) -> Any:
        if user is None or not user.is_active:
            return None
        if self.permission and not user.has_perm(self.permission):
            raise HttpError(403, f"You do not have permission to do this ({self.permission}).")
        return user


class BearerTokenAuth(PermissionMixin, HttpBearer):
    """`Authorization: Bearer fcrm_...` with a personal token (see accounts.tokens)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = self.authorized(user_for_token(token))
        if user is not None:
            request.user = user
            use_time_zone_of(user)
        return user


class ActiveSessionAuth(PermissionMixin, SessionAuth):
    """The browser session, CSRF-checked by Ninja, for active users only."""

    def __call__(self, request: HttpRequest) -> Any:
        # Without a session cookie there is nothing to forge: skip the CSRF check, which
        # would refuse the request with 403 before a Bearer token got its turn.
        if self.param_name not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self.authorized(super().authenticate(request, key))


def requires(permission: str) -> list:
    """The `auth=` of an operation open to signed-in users holding `permission`.

    `@router.get("", auth=requires("clients.view_client"))` — roles and their permissions
    are defined in accounts.roles.
    """
    return [ActiveSessionAuth(permission), BearerTokenAuth(permission)]


class FieldErrors(Exception):
    """Input that failed validation, as {field: [messages]}; answered with HTTP 422."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("Invalid input")
        self.errors = errors


T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    pages: int
    per_page: int


class PageParams(Schema):
    page: int = 1
    per_page: int = 25


MAX_PER_PAGE = 200


def paginate(queryset: QuerySet, *, page: int, per_page: int) -> dict:
    """One page of `queryset` in the API's envelope; out-of-range pages are a 422."""
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise FieldErrors({"per_page": [f"Must be between 1 and {MAX_PER_PAGE}."]})
    if page < 1:
        raise FieldErrors({"page": ["Must be 1 or more."]})
    count = IdFirstPaginator(queryset, per_page).count
    pages = max(1, math.ceil(count / per_page))
    if page > pages:
        raise FieldErrors({"page": [f"There are only {pages} pages."]})
    start = (page - 1) * per_page
    items = page_rows(queryset, start, start + per_page)
    return {"items": items, "count": count, "page": page, "pages": pages, "per_page": per_page}
