"""Where a form sends the user back to once it is done."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_page(request: HttpRequest, default: str = "") -> str:
    """The page the form names in its POSTed `next` when it is one of this site's (never an
    open redirect), else `default`."""
    target = request.POST.get("next", "")
    same_site = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and same_site else default
