"""Pages: the calendar, important dates, confirming an Eid, and the private calendar feed."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.core.api import object_id
from forgecrm.events import greetings, queries, services
from forgecrm.events.display import TYPE_COLOURS, legend
from forgecrm.events.forms import HolidayOverrideForm, ImportantDateForm
from forgecrm.events.ics import calendar_ics
from forgecrm.events.models import CalendarFeed, EventType, Greeting, LunarHoliday

CONFIRM_PERMISSIONS = ("events.add_holidayoverride", "events.change_holidayoverride")
# What the subscription URL holds: a month back (for what just happened), a year ahead.
FEED_DAYS_BACK, FEED_DAYS_AHEAD = 30, 365


@login_required
@permission_required("events.view_importantdate", raise_exception=True)
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Month, week and day views; the page fetches the occurrences from the JSON API."""
    chosen_types = set(request.GET.getlist("type")) & set(EventType.values)
    client = _client_from(request.GET.get("client", ""))
    types = [
        {**entry, "checked": not chosen_types or entry["value"] in chosen_types}
        for entry in legend()
    ]
    config = {
        "eventsUrl": reverse("api:list_occurrences"),
        "clientsUrl": reverse("api:list_clients"),
        "colours": {str(key): colour for key, colour in TYPE_COLOURS.items()},
        "createUrl": reverse("events:create")
        if request.user.has_perm("events.add_importantdate")
        else "",
        "initialDate": _date_from(request.GET.get("date", "")),
    }
    return render(
        request,
        "events/calendar.html",
        {"types": types, "client": client, "config": config},
    )


def _client_from(value: str) -> Client | None:
    return Client.objects.filter(pk=value).first() if value.isdigit() else None


def _date_from(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


@login_required
@permission_required("events.view_importantdate", raise_exception=True)
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(queries.visible_events(), pk=pk)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "colour": TYPE_COLOURS[EventType(event.event_type)],
            "next_dates": queries.next_dates(event),
        },
    )


def _form_page(request: HttpRequest, form: ImportantDateForm, title: str) -> HttpResponse:
    return render(request, "events/form.html", {"form": form, "title": title})


def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from the calendar (?date=) or a client's page (?client=, ?contact=)."""
    initial: dict[str, Any] = {}
    if day := _date_from(request.GET.get("date", "")):
        initial["date"] = day
    contact_id = request.GET.get("contact", "")
    contact = ContactPerson.objects.filter(pk=contact_id).first() if contact_id.isdigit() else None
    if contact:
        initial.update(contact=contact.pk, client=contact.client_id, event_type=EventType.BIRTHDAY)
    elif client := _client_from(request.GET.get("client", "")):
        initial["client"] = client.pk
    return initial


@login_required
@permission_required("events.add_importantdate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ImportantDateForm(request.POST)
        if form.is_valid():
            event = services.event_create(fields=form.cleaned_data, actor=request.user)
            messages.success(request, f"“{event}” is on the calendar.")
            return redirect(event)
    else:
        form = ImportantDateForm(initial=_initial(request))
    return _form_page(request, form, "New important date")


@login_required
@permission_required("events.change_importantdate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(queries.visible_events(), pk=pk)
    form = ImportantDateForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        services.event_update(event=event, fields=form.cleaned_data, actor=request.user)
        messages.success(request, f"“{event}” is saved.")
        return redirect(event)
    return _form_page(request, form, f"Edit “{event}”")


@login_required
@permission_required("events.delete_importantdate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(queries.visible_events(), pk=pk)
    if request.method == "POST":
        services.event_delete(event=event, actor=request.user)
        messages.success(request, f"“{event}” is deleted.")
        return redirect("events:calendar")
    return render(request, "events/confirm_delete.html", {"event": event})


def _lunar(key: str, year: int) -> queries.LunarHolidayState:
    if key not in LunarHoliday.values:
        raise Http404
    try:
        state = queries.lunar_holiday_state(LunarHoliday(key), year)
    except (ValueError, OverflowError):  # a year no calendar converts
        raise Http404 from None
    if state is None:
        raise Http404
    return state


@login_required
@permission_required("events.view_holidayoverride", raise_exception=True)
@require_http_methods(["GET", "POST"])
def holiday_page(request: HttpRequest, key: str, year: int) -> HttpResponse:
    """An Eid: the estimate, Saudi Arabia's date for reference, and confirming the date."""
    if request.method == "POST" and not request.user.has_perms(CONFIRM_PERMISSIONS):
        raise PermissionDenied
    state = _lunar(key, year)
    form = HolidayOverrideForm(
        request.POST or None, estimate=state.estimate, initial={"date": state.date}
    )
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["date"]
        services.holiday_confirm(
            holiday=state.holiday, hijri_year=year, day=day, actor=request.user
        )
        messages.success(request, f"{state.holiday.label} is on {day:%A %d %B %Y}.")
        return redirect(_calendar_on(day))
    return render(request, "events/holiday.html", {"state": state, "form": form})


def _calendar_on(day: date) -> str:
    return f"{reverse('events:calendar')}?date={day.isoformat()}"


@login_required
@permission_required("events.delete_holidayoverride", raise_exception=True)
@require_POST
def holiday_reset(request: HttpRequest, key: str, year: int) -> HttpResponse:
    state = _lunar(key, year)
    services.holiday_reset(holiday=state.holiday, hijri_year=year, actor=request.user)
    messages.success(
        request, f"{state.holiday.label} shows the estimate again: {state.estimate:%d %B %Y}."
    )
    return redirect("events:holiday", key=key, year=year)


# ---- Greetings ----


@login_required
@permission_required("events.view_importantdate", raise_exception=True)
@require_GET
def greetings_page(request: HttpRequest) -> HttpResponse:
    """The coming occasions with the greetings prepared for them, to approve or leave out."""
    occasions = greetings.upcoming_occasions(today=timezone.localdate())
    return render(
        request,
        "events/greetings.html",
        {"occasions": occasions, "prepare_days": settings.GREETINGS_PREPARE_DAYS},
    )


@login_required
@permission_required("events.view_importantdate", raise_exception=True)
@require_GET
def greeting_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The greeting as its recipient gets it."""
    greeting = get_object_or_404(
        greetings.visible().select_related("contact__client", "template", "email", "approved_by"),
        pk=pk,
    )
    problem, rendered = "", None
    if greeting.email is not None:
        subject, body = greeting.email.subject, greeting.email.body_html
    else:
        try:
            rendered = greetings.render(greeting, actor=greeting.approved_by or request.user)
            subject, body = rendered.subject, rendered.body_html
        except ValidationError as exc:
            problem = "; ".join(m for ms in exc.message_dict.values() for m in ms)
            subject, body = "", ""
    address = next((e.email for e in greeting.contact.email_addresses.all()), "")
    return render(
        request,
        "events/greeting_preview.html",
        {
            "greeting": greeting,
            "subject": subject,
            "body": body,
            "problem": problem,
            "address": address,
        },
    )


def _chosen(request: HttpRequest):
    """The greetings a form names: the row's own button (`one`), else the ticked boxes."""
    one = request.POST.get("one", "")
    values = [one] if one else request.POST.getlist("ids")
    ids = [pk for pk in map(object_id, values) if pk is not None]
    return Greeting.objects.filter(pk__in=ids)


def _back() -> HttpResponse:
    return redirect("events:greetings")


@login_required
@permission_required("events.change_importantdate", raise_exception=True)
@require_POST
def greetings_approve(request: HttpRequest) -> HttpResponse:
    count = greetings.approve(greetings=_chosen(request), actor=request.user)
    if count:
        messages.success(
            request,
            f"{count} greeting{'s' if count != 1 else ''} approved: each goes at 09:00 on "
            "the day where its recipient is.",
        )
    else:
        messages.info(request, "Nothing to approve: tick the greetings to send.")
    return _back()


@login_required
@permission_required("events.change_importantdate", raise_exception=True)
@require_POST
def greetings_exclude(request: HttpRequest) -> HttpResponse:
    count = greetings.exclude(greetings=_chosen(request))
    if count:
        messages.success(request, f"{count} left out; they get no greeting for this occasion.")
    return _back()


@login_required
@permission_required("events.change_importantdate", raise_exception=True)
@require_POST
def greetings_done(request: HttpRequest) -> HttpResponse:
    key = request.POST.get("occurrence_key", "")
    count = greetings.mark_done(occurrence_key=key)
    messages.success(
        request, f"Marked done; {count} not approved {'is' if count == 1 else 'are'} left out."
    )
    return _back()


@login_required
@permission_required("events.change_importantdate", raise_exception=True)
@require_POST
def greetings_prepare(request: HttpRequest) -> HttpResponse:
    count = greetings.prepare()
    messages.success(
        request,
        f"{count} new greeting{'s' if count != 1 else ''} prepared for the next "
        f"{settings.GREETINGS_PREPARE_DAYS} days.",
    )
    return _back()


# ---- The private calendar feed ----


@never_cache  # it shows a new private URL once
@login_required
@permission_required("events.view_importantdate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def feed_settings(request: HttpRequest) -> HttpResponse:
    """Show, make or revoke the user's subscription URL (shown once, when made)."""
    feed_url = ""
    action = request.POST.get("action")
    if action == "create":
        token = services.feed_create(user=request.user)
        feed_url = settings.SITE_URL + reverse("calendar_feed:ics", args=[token])
    elif action == "revoke":
        services.feed_revoke(user=request.user)
        messages.success(request, "Your calendar feed is turned off; its URL no longer works.")
        return redirect("calendar_feed:settings")
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "events/feed.html", {"feed": feed, "feed_url": feed_url})


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """Public, but only with a live token: anything else is a 404, like a page that is not."""
    feed = queries.calendar_feed(token)
    if feed is None:
        raise Http404
    services.feed_mark_used(feed)
    today = timezone.localdate()
    found = queries.occurrences(
        today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
    )
    body = calendar_ics(found, site_url=settings.SITE_URL, name="Forge CRM")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="forgecrm.ics"'
    return response
