"""Template helpers of the timeline: its query strings, labels and the dashboard's feed."""

from typing import Any

from django import template
from django.utils.http import urlencode

from forgecrm.timeline import queries
from forgecrm.timeline.models import CommunicationType

register = template.Library()


@register.simple_tag
def timeline_query(timeline: dict[str, Any], **extra: str) -> str:
    """'?type=call&q=quote' from the timeline's filters (plus `extra`), '' when none."""
    params = {"type": timeline.get("kind", ""), "q": timeline.get("q", ""), **extra}
    params = {name: value for name, value in params.items() if value}
    return f"?{urlencode(params)}" if params else ""


@register.filter
def kind_label(value: str) -> str:
    return CommunicationType(value).label if value in CommunicationType.values else value


@register.filter
def percent(value: float) -> str:
    return f"{value:.0%}"


@register.inclusion_tag("timeline/_recent_activity.html", takes_context=True)
def recent_activity(context: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """The feed for the signed-in user: `{% load timeline %}{% recent_activity %}`."""
    return {"activities": queries.recent_activity(context["request"].user, limit=limit)}
