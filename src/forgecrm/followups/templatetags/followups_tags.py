"""`{% next_followups %}`: the signed-in user's next open follow-ups, for the dashboard, or
with `client=` that client's, for its page; `{% client_sequences client %}`: a client's
sequences, for its page."""

from django import template

from forgecrm.clients.models import Client
from forgecrm.followups import queries

register = template.Library()


@register.inclusion_tag("followups/_next.html", takes_context=True)
def next_followups(context: template.Context, limit: int = 5, client: Client | None = None) -> dict:
    user = context["request"].user
    if not user.has_perm("followups.view_followuptask"):
        return {"allowed": False}
    if client is None:
        return {"allowed": True, "tasks": queries.next_for(user, limit=limit)}
    tasks, more = queries.next_for_client(client, limit=limit)
    return {
        "allowed": True,
        "client": client,
        "tasks": tasks,
        "more": more,
        "can_add": user.has_perm("followups.add_followuptask"),
    }


@register.inclusion_tag("followups/sequences/_client.html", takes_context=True)
def client_sequences(context: template.Context, client: Client) -> dict:
    """The client's sequence enrollments and what each does next, for its page."""
    request = context["request"]
    user = request.user
    if not user.has_perm("followups.view_enrollment"):
        return {"allowed": False}
    return {
        "allowed": True,
        "client": client,
        "enrollments": queries.client_enrollments(client),
        "can_enroll": user.has_perm("followups.add_enrollment"),
        "request": request,
        "perms": context.get("perms"),
    }
