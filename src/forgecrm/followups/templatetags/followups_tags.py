"""`{% next_followups %}`: the signed-in user's next open follow-ups, for the dashboard."""

from django import template

from forgecrm.followups import queries

register = template.Library()


@register.inclusion_tag("followups/_next.html", takes_context=True)
def next_followups(context: template.Context, limit: int = 5) -> dict:
    user = context["request"].user
    if not user.has_perm("followups.view_followuptask"):
        return {"allowed": False}
    return {"allowed": True, "tasks": queries.next_for(user, limit=limit)}
