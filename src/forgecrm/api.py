"""The JSON API: /api/admin/crm/..., documented at /api/docs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from forgecrm.clients.api import clients_router, contacts_router
from forgecrm.core.api import ActiveSessionAuth, BearerTokenAuth, FieldErrors
from forgecrm.emails.api import emails_router, templates_router
from forgecrm.events.api import events_router
from forgecrm.followups.api import followups_router, sequences_router
from forgecrm.timeline.api import communications_router

api = NinjaAPI(
    title="Forge CRM API",
    version="1.0",
    description=(
        "Authenticate with the browser session (send the CSRF token) or a personal token: "
        "`Authorization: Bearer fcrm_...` (create one under Settings)."
    ),
    auth=[ActiveSessionAuth(), BearerTokenAuth()],
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=login_required,  # the map of every endpoint, for people signed in
)
api.add_router("/admin/crm/clients", clients_router)
api.add_router("/admin/crm/contacts", contacts_router)
api.add_router("/admin/crm/emails", emails_router)
api.add_router("/admin/crm/email-templates", templates_router)
api.add_router("/admin/crm/events", events_router)
api.add_router("/admin/crm/communications", communications_router)
# Before the follow-ups router, whose /{task_id} would otherwise take /sequences.
api.add_router("/admin/crm/followups/sequences", sequences_router)
api.add_router("/admin/crm/followups", followups_router)


def _field_name(location: list) -> str:
    """('body', 'payload', 'emails', 0, 'email') -> 'emails.0.email'; ('query', 'x') -> 'x'."""
    parts = [str(p) for p in location if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def schema_errors(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(list(error.get("loc", []))), []).append(error["msg"])
    return api.create_response(request, {"message": "Invalid input", "errors": errors}, status=422)


@api.exception_handler(FieldErrors)
def field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    return api.create_response(
        request, {"message": "Invalid input", "errors": exc.errors}, status=422
    )
