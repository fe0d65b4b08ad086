"""The important dates API: occurrences in a date range, and stored events.

Bodies are validated by events.forms.ImportantDateForm, like the pages; writes go through
events.services, audited as the caller.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from forgecrm.core.api import FieldErrors, ObjectId, requires
from forgecrm.events import greetings, queries, services
from forgecrm.events.forms import HolidayOverrideForm, ImportantDateForm
from forgecrm.events.models import EventType, ImportantDate, LunarHoliday
from forgecrm.events.occurrence import Occurrence

events_router = Router(tags=["important dates"])

MAX_RANGE_DAYS = 400
DEFAULT_RANGE_DAYS = 30
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


class OccurrenceQuery(Schema):
    start: date | None = Field(
        None, alias="from", description="First day, YYYY-MM-DD (default: today)."
    )
    end: date | None = Field(
        None, alias="to", description=f"Last day, included (default: {DEFAULT_RANGE_DAYS} days on)."
    )
    type: list[EventType] | None = Field(None, description="Only these types (repeatable).")
    client: ObjectId | None = Field(None, description="Only this client's dates (no holidays).")


class OccurrenceOut(Schema):
    key: str = Field(description="Stable identity of this occurrence, e.g. event:12:2026-04-14.")
    source: str
    source_id: str
    date: date
    title: str
    type: EventType = Field(alias="event_type")
    type_label: str
    url: str = Field(description="The page to open: the event, the client, or the holiday.")
    client_id: int | None
    client_name: str
    contact_id: int | None
    contact_name: str
    event_id: int | None
    is_estimated: bool


class EventIn(Schema):
    """An important date; on update, fields left out keep their current values."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    name: str | None = None
    event_type: str | None = Field(None, examples=[EventType.BIRTHDAY.value])
    date: str | None = Field(None, examples=["2026-04-14"])
    recurrence: str | None = Field(None, examples=["yearly"])
    rrule: str | None = Field(None, examples=["FREQ=MONTHLY;BYDAY=1MO"])
    client: int | None = None
    contact: int | None = None
    is_estimated: bool | None = None
    send_greeting: bool | None = None
    notify_days_before: int | None = None
    message_template: int | None = None
    custom_message: str | None = None


class EventOut(Schema):
    id: int
    name: str
    event_type: EventType
    type_label: str
    date: date
    recurrence: str
    rrule: str
    rule: str = Field(description="The RFC 5545 rule it repeats by, empty when it does not.")
    is_estimated: bool
    client: int | None
    client_name: str
    contact: int | None
    contact_name: str
    send_greeting: bool
    notify_days_before: int
    message_template: int | None
    custom_message: str
    next_dates: list[date]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_type_label(obj: ImportantDate) -> str:
        return obj.get_event_type_display()

    @staticmethod
    def resolve_rule(obj: ImportantDate) -> str:
        return obj.rule_text()

    @staticmethod
    def resolve_client(obj: ImportantDate) -> int | None:
        return obj.client_id

    @staticmethod
    def resolve_client_name(obj: ImportantDate) -> str:
        return obj.client.name if obj.client else ""

    @staticmethod
    def resolve_contact(obj: ImportantDate) -> int | None:
        return obj.contact_id

    @staticmethod
    def resolve_contact_name(obj: ImportantDate) -> str:
        return obj.contact.full_name if obj.contact else ""

    @staticmethod
    def resolve_message_template(obj: ImportantDate) -> int | None:
        return obj.message_template_id

    @staticmethod
    def resolve_next_dates(obj: ImportantDate) -> list[date]:
        return queries.next_dates(obj)


class HolidayIn(Schema):
    model_config = ConfigDict(extra="forbid")

    date: str = Field(examples=["2027-03-10"])


class HolidayOut(Schema):
    holiday: LunarHoliday
    hijri_year: int
    date: date
    estimate: date = Field(description="The holidays library's date for Bangladesh.")
    umm_al_qura: date | None = Field(description="Saudi Arabia's calendar, for reference.")
    confirmed: date | None


class SendGreetingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    occurrence_key: str = Field(
        max_length=200, examples=["holiday:eid-ul-fitr:1448", "contact-birthday:7:2026-05-01"]
    )
    contacts: list[ObjectId] | None = Field(
        None, description="Only these recipients (contact ids); default: all of the occasion's."
    )


class GreetingOut(Schema):
    id: int
    occurrence_key: str
    occasion: str
    occasion_date: date
    contact_id: int
    contact_name: str
    status: str
    send_at: datetime = Field(description="09:00 on the day where the recipient is.")
    email_id: int | None
    email_status: str
    last_error: str

    @staticmethod
    def resolve_contact_name(obj: Any) -> str:
        return obj.contact.full_name

    @staticmethod
    def resolve_email_status(obj: Any) -> str:
        return obj.email.status if obj.email else ""


def _range(filters: OccurrenceQuery) -> tuple[date, date]:
    start = filters.start or timezone.localdate()
    end = filters.end or start + timedelta(days=DEFAULT_RANGE_DAYS)
    errors: dict[str, list[str]] = {}
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            errors[name] = [f"Must be between {EARLIEST} and {LATEST}."]
    if not errors and end < start:
        errors["to"] = ["Must be on or after `from`."]
    elif not errors and (end - start).days > MAX_RANGE_DAYS:
        errors["to"] = [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]
    if errors:
        raise FieldErrors(errors)
    return start, end


@events_router.get("", response=list[OccurrenceOut], auth=requires("events.view_importantdate"))
def list_occurrences(request: HttpRequest, filters: Query[OccurrenceQuery]) -> list[Occurrence]:
    """Every date on the calendar in a range: stored events expanded by their rules,
    contacts' birthdays and anniversaries, clients' anniversaries and contract renewals,
    and holidays."""
    start, end = _range(filters)
    return queries.occurrences(start, end, types=filters.type, client=filters.client)


@events_router.post(
    "/send-greeting",
    response=list[GreetingOut],
    auth=requires("events.change_importantdate"),
)
def send_greeting(request: HttpRequest, payload: SendGreetingIn) -> Any:
    """Approve an occasion's greetings (all, or those of `contacts`) and send them: now if
    09:00 has come where the recipient is, else at that time. Each person gets one greeting
    per occasion, however often this is called. Returns the greetings with their status."""
    try:
        return greetings.approve_and_send(
            key=payload.occurrence_key, contact_ids=payload.contacts, actor=request.auth
        )
    except ValidationError as exc:
        raise FieldErrors(exc.message_dict) from None


def _event(event_id: int) -> ImportantDate:
    return get_object_or_404(queries.visible_events(), pk=event_id)


def _valid(payload: EventIn, instance: ImportantDate) -> dict[str, Any]:
    """The form's cleaned data for `payload` laid over `instance` (new or stored): fields
    left out keep the instance's values, or the defaults for a new one."""
    current = model_to_dict(instance, fields=ImportantDateForm.Meta.fields)
    data = {**current, **payload.model_dump(exclude_unset=True)}
    form = ImportantDateForm(data=data, instance=instance)
    if not form.is_valid():
        raise FieldErrors({name: list(messages) for name, messages in form.errors.items()})
    return form.cleaned_data


@events_router.post("", response={201: EventOut}, auth=requires("events.add_importantdate"))
def create_event(request: HttpRequest, payload: EventIn) -> Status[ImportantDate]:
    fields = _valid(payload, ImportantDate())
    event = services.event_create(fields=fields, actor=request.auth)
    return Status(201, _event(event.pk))


@events_router.get("/{event_id}", response=EventOut, auth=requires("events.view_importantdate"))
def get_event(request: HttpRequest, event_id: int) -> ImportantDate:
    return _event(event_id)


@events_router.put("/{event_id}", response=EventOut, auth=requires("events.change_importantdate"))
def update_event(request: HttpRequest, event_id: int, payload: EventIn) -> ImportantDate:
    event = _event(event_id)
    fields = _valid(payload, event)
    services.event_update(event=event, fields=fields, actor=request.auth)
    return _event(event_id)


@events_router.delete(
    "/{event_id}", response={204: None}, auth=requires("events.delete_importantdate")
)
def delete_event(request: HttpRequest, event_id: int) -> Status[None]:
    services.event_delete(event=_event(event_id), actor=request.auth)
    return Status(204, None)


def _holiday(holiday: LunarHoliday, year: int) -> queries.LunarHolidayState:
    try:
        state = queries.lunar_holiday_state(holiday, year)
    except (ValueError, OverflowError):  # a year no calendar converts
        raise Http404 from None
    if state is None:
        raise Http404
    return state


@events_router.get(
    "/holidays/{holiday}/{year}", response=HolidayOut, auth=requires("events.view_holidayoverride")
)
def get_holiday(request: HttpRequest, holiday: LunarHoliday, year: int) -> Any:
    """An Eid of Islamic `year` (e.g. eid-ul-fitr/1448): its estimate and confirmed date."""
    return _holiday(holiday, year)


@events_router.put(
    "/holidays/{holiday}/{year}",
    response=HolidayOut,
    auth=requires("events.change_holidayoverride"),
)
def confirm_holiday(
    request: HttpRequest, holiday: LunarHoliday, year: int, payload: HolidayIn
) -> Any:
    """Confirm or move an Eid once the moon is sighted; it replaces the estimate."""
    state = _holiday(holiday, year)
    form = HolidayOverrideForm(data=payload.model_dump(), estimate=state.estimate)
    if not form.is_valid():
        raise FieldErrors({name: list(messages) for name, messages in form.errors.items()})
    services.holiday_confirm(
        holiday=holiday, hijri_year=year, day=form.cleaned_data["date"], actor=request.auth
    )
    return _holiday(holiday, year)


@events_router.delete(
    "/holidays/{holiday}/{year}",
    response={204: None},
    auth=requires("events.delete_holidayoverride"),
)
def reset_holiday(request: HttpRequest, holiday: LunarHoliday, year: int) -> Status[None]:
    """Forget the confirmed date; the estimate shows again."""
    _holiday(holiday, year)
    services.holiday_reset(holiday=holiday, hijri_year=year, actor=request.auth)
    return Status(204, None)
