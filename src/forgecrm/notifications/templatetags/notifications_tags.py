"""`{% notification_bell %}` for the page header and `{% not_contacted_clients %}` for the
dashboard."""

from django import template

from forgecrm.notifications import queries

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict:
    """The bell with the unread count (one indexed count); its menu loads when opened."""
    user = context["request"].user
    if not user.has_perm("notifications.view_notification"):
        return {"allowed": False}
    return {"allowed": True, "unread": queries.unread_count(user)}


@register.inclusion_tag("notifications/_not_contacted.html", takes_context=True)
def not_contacted_clients(context: template.Context) -> dict:
    """Active clients silent for longer than their tier allows. The card's content loads
    after the page (htmx): at 100,000 clients the query is too slow for the dashboard to
    wait for it."""
    return {"allowed": context["request"].user.has_perm("clients.view_client")}
