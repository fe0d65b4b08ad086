"""The address a request came from, for sign-in lockouts (django-axes) and tracking.

Behind reverse proxies (nginx, Caddy) every request reaches Django from the proxy's own
address, so the client's is read from X-Forwarded-For, where each of the TRUSTED_PROXIES
appended the address it saw: counted from the right, the TRUSTED_PROXIES-th entry is the
one the outermost proxy saw; anything further left was written by the client and is not
believed. (django-ipware counts proxies inside the header instead, and gives up on a
header with a forged extra entry.)
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")
