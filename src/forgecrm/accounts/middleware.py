import zoneinfo
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (default: settings.TIME_ZONE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        use_time_zone_of(request.user)
        return self.get_response(request)


def use_time_zone_of(user: Any) -> None:
    """Read and show times in `user`'s zone from here on in this request (the default zone
    for anonymous users). The API calls it again once a Bearer token names the user, which
    happens after the middleware ran."""
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if profile is not None:
        timezone.activate(zoneinfo.ZoneInfo(profile.timezone))
    else:
        timezone.deactivate()
