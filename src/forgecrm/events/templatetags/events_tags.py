"""`{% upcoming_events %}`: the next 7 and 30 days, for the dashboard or a client's page."""

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from forgecrm.clients.models import Client
from forgecrm.events.display import TYPE_COLOURS
from forgecrm.events.queries import upcoming

register = template.Library()


@register.inclusion_tag("events/_upcoming.html", takes_context=True)
def upcoming_events(
    context: template.Context,
    client: Client | None = None,
    days: int = 30,
    soon: int = 7,
    limit: int = 8,
) -> dict[str, Any]:
    """Nothing for users who may not see the calendar; with `client`, only that client's dates."""
    user = context.get("user")
    if user is None or not user.has_perm("events.view_importantdate"):
        return {"allowed": False}
    today = timezone.localdate()
    found = [
        {"occurrence": o, "colour": TYPE_COLOURS[o.event_type], "days_away": (o.date - today).days}
        for o in upcoming(days, client=client)
    ]
    this_week = [row for row in found if row["days_away"] <= soon]
    later = [row for row in found if row["days_away"] > soon]
    return {
        "allowed": True,
        "client": client,
        "days": days,
        "soon": soon,
        "this_week": this_week[:limit],
        "this_week_more": max(0, len(this_week) - limit),
        "later": later[:limit],
        "later_more": max(0, len(later) - limit),
        "later_from": today + timedelta(days=soon + 1),
    }
