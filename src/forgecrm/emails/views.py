"""Public tracking URLs: mail clients fetch them without signing in.

They are safe to expose: each email's token is random (256 bits), a forged one finds
nothing (404) and records nothing, and a click only ever redirects to a link recorded for
that very email.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from forgecrm.emails import services, tracking


def visit_of(request: HttpRequest) -> services.Visit:
    return services.Visit(
        user_agent=request.headers.get("User-Agent", ""), ip=request.META.get("REMOTE_ADDR")
    )


def pixel_response(request: HttpRequest, token: str) -> HttpResponse:
    """The 1x1 GIF for a known token (and the open recorded), else 404."""
    if not services.tracking_open(token=token, visit=visit_of(request)):
        raise Http404
    response = HttpResponse(tracking.PIXEL_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


@require_GET
@never_cache
def tracking_open(request: HttpRequest, token: str) -> HttpResponse:
    return pixel_response(request, token)


@require_GET
@never_cache
def tracking_click(request: HttpRequest, token: str, link_token: str) -> HttpResponse:
    url = services.tracking_click(token=token, link_token=link_token, visit=visit_of(request))
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response
