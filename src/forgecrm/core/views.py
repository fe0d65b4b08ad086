from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from forgecrm.clients.models import RelationshipStatus
from forgecrm.clients.queries import client_counts_by_status


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Overview: clients by relationship status (later issues add follow-ups, events, revenue)."""
    counts = client_counts_by_status() if request.user.has_perm("clients.view_client") else {}
    by_status = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in RelationshipStatus.choices
    ]
    return render(
        request,
        "core/dashboard.html",
        {"by_status": by_status, "total_clients": sum(counts.values())},
    )
