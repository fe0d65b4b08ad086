"""The notification centre (bell, dropdown, full list), desktop-alert feed, the list of
clients not contacted for too long and the cadence settings.

Views only translate HTTP: services write, queries read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forgecrm.core.pagination import page_of
from forgecrm.notifications import queries, services
from forgecrm.notifications.forms import CadenceForm
from forgecrm.notifications.models import Notification

# Opening and marking read act on the user's own rows only (see _own), so the view
# permission is enough: viewers get notifications too and must be able to clear them.
VIEW = "notifications.view_notification"
PER_PAGE = 25
WIDGET_ROWS = 5


def _own(request: HttpRequest, pk: int) -> Notification:
    return get_object_or_404(Notification, pk=pk, user=request.user)


def _inside(url: str) -> bool:
    """Only paths of this site are followed (never another host)."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = queries.notifications_for(request.user)  # type: ignore[arg-type]
    page = page_of(request, notifications, per_page=PER_PAGE, paginator=Paginator)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": queries.unread_count(request.user)},  # type: ignore[arg-type]
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_safe
def dropdown(request: HttpRequest) -> HttpResponse:
    """The bell's menu, loaded by htmx when it opens (pages do not pay for it)."""
    return render(request, "notifications/_dropdown.html", _dropdown_context(request))


def _dropdown_context(request: HttpRequest) -> dict:
    user = request.user
    return {
        "items": queries.latest(user),  # type: ignore[arg-type]
        "unread": queries.unread_count(user),  # type: ignore[arg-type]
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@require_safe
def alerts(request: HttpRequest) -> JsonResponse:
    """JSON for desktop alerts: new unread reminders and due/overdue items after `after`.

    Without `after` it only says the newest id, so turning alerts on does not replay
    what came before. Items come oldest first, ALERTS_PER_POLL at most; `latest` is the last
    one given and `more` says whether others wait after it.
    """
    after = request.GET.get("after", "")
    user = request.user
    if not after.isdigit() or len(after) > 18:
        return JsonResponse(
            {
                "latest": queries.latest_id(user),  # type: ignore[arg-type]
                "unread": queries.unread_count(user),  # type: ignore[arg-type]
                "items": [],
            }
        )
    page = queries.ALERTS_PER_POLL
    items = queries.alerts_after(user, after=int(after), limit=page + 1)  # type: ignore[arg-type]
    more, items = len(items) > page, items[:page]
    return JsonResponse(
        {
            "latest": max([int(after), *(n.pk for n in items)]),
            "more": more,
            "unread": queries.unread_count(user),  # type: ignore[arg-type]
            "items": [
                {
                    "id": n.pk,
                    "kind": n.kind,
                    "title": n.title,
                    "body": n.body,
                    "url": reverse("notifications:open", args=[n.pk]),
                }
                for n in items
            ],
        }
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Following a notification marks it read and goes where it points."""
    notification = _own(request, pk)
    services.mark_read(notification=notification)
    target = notification.url if _inside(notification.url) else reverse("notifications:list")
    return redirect(target)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    services.mark_read(notification=_own(request, pk))
    return redirect(_back(request))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=request.user)  # type: ignore[arg-type]
    if request.headers.get("HX-Request"):
        return render(request, "notifications/_dropdown.html", _dropdown_context(request))
    messages.success(request, f"{count} notification(s) marked read.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if _inside(target):
        return target
    return reverse("notifications:list")


@login_required
@permission_required("clients.view_client", raise_exception=True)
@require_safe
def not_contacted(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "on"
    rows = queries.silent_clients(owner=request.user if mine else None)  # type: ignore[arg-type]
    return render(
        request,
        "notifications/not_contacted.html",
        {
            "page": page_of(request, rows, per_page=PER_PAGE),
            "mine": mine,
            "cadences": queries.cadence_days(),
            "can_edit": request.user.has_perm("notifications.edit_cadence"),
        },
    )


@login_required
@permission_required("clients.view_client", raise_exception=True)
@require_safe
def not_contacted_widget(request: HttpRequest) -> HttpResponse:
    """The dashboard card's content: how many, and the longest silent few."""
    rows = queries.silent_clients()
    return render(
        request,
        "notifications/_not_contacted_items.html",
        {"clients": list(rows[:WIDGET_ROWS]), "total": rows.count()},
    )


@login_required
@permission_required("notifications.edit_cadence", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """How many days of silence each tier allows (admins)."""
    form = CadenceForm(request.POST or None, initial_days=queries.cadence_days())
    if request.method == "POST" and form.is_valid():
        services.cadences_update(days=form.cleaned_data, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, "Contact cadences saved.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
