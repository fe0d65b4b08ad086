"""What every router shares: authentication, the permission check, errors and pagination."""

import functools
import math
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth

from forgecrm.accounts.tokens import user_for_token


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer fcrm_...` with a personal token (see accounts.tokens)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session, CSRF-checked by Ninja, for active users only."""

    def __call__(self, request: HttpRequest) -> Any:
        # Without a session cookie there is nothing to forge: skip the CSRF check, which
        # would refuse the request with 403 before a Bearer token got its turn.
        if self.param_name not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def requires(permission: str) -> Callable:
    """Refuse the operation with 403 unless the caller holds `permission` (see accounts.roles).

    Put it under the @router decorator. The check runs right after authentication, before
    Ninja validates the input, so a caller without the right gets 403 rather than 422 about
    a body they may not send; the view is wrapped too, should that hook ever not run.
    """

    def check(request: HttpRequest) -> None:
        if not request.auth.has_perm(permission):
            raise HttpError(403, f"You do not have permission to do this ({permission}).")

    def check_after_authentication(run: Callable) -> Callable:
        # decorate_view hands over `run` of each operation Ninja binds; its own checks
        # (authentication, throttling) run before the input is parsed, so extend those.
        operation: Operation = run.__self__  # type: ignore[attr-defined]
        run_checks = operation._run_checks

        def run_checks_then_permission(request: HttpRequest) -> HttpResponse | None:
            error = run_checks(request)
            if error is None:
                try:
                    check(request)
                except HttpError as exc:
                    error = operation.api.on_exception(request, exc)
            return error

        operation._run_checks = run_checks_then_permission  # type: ignore[method-assign]
        return run

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check(request)
            return view(request, *args, **kwargs)

        return decorate_view(check_after_authentication)(wrapper)

    return decorator


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
    count = Paginator(queryset, per_page).count
    pages = max(1, math.ceil(count / per_page))
    if page > pages:
        raise FieldErrors({"page": [f"There are only {pages} pages."]})
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page])
    return {"items": items, "count": count, "page": page, "pages": pages, "per_page": per_page}
