"""Validation for important dates and confirmed holidays, shared by the pages and the API."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.emails.models import EmailTemplate
from forgecrm.events.models import HolidayOverride, ImportantDate, Recurrence
from forgecrm.events.recurrence import RuleError, normalize_rule, parse_rule

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# How far a sighted Eid may be from the library's estimate; more is surely a typing slip.
MAX_HOLIDAY_SHIFT_DAYS = 3


def _contact_label(contact: ContactPerson) -> str:
    return f"{contact} — {contact.client}"


def _only_selected(field: forms.ModelChoiceField, value: Any, label: Any = str) -> None:
    """Render just the chosen option: the page looks others up as the user types, since
    listing every client or contact (there may be 300,000) would make the page unusable."""
    chosen = []
    if value not in (None, "") and str(value).isdigit():
        chosen = [(obj.pk, label(obj)) for obj in field.queryset.filter(pk=value)]
    field.widget.choices = [("", "—"), *chosen]


class ImportantDateForm(forms.ModelForm):
    class Meta:
        model = ImportantDate
        fields = [
            "name",
            "event_type",
            "date",
            "recurrence",
            "rrule",
            "client",
            "contact",
            "is_estimated",
            "send_greeting",
            "notify_days_before",
            "message_template",
            "custom_message",
        ]
        labels = {"event_type": "Type", "recurrence": "Repeats"}
        help_texts = {
            "rrule": "For “Custom rule”: an RFC 5545 rule, e.g. FREQ=MONTHLY;BYDAY=1MO "
            "(first Monday of each month) or FREQ=YEARLY;INTERVAL=2.",
            "date": "The first (or only) time. A yearly 29 February falls on 28 February in "
            "other years; a monthly 31st on the last day of shorter months.",
            "contact": "Choose the person for a birthday or anniversary; the client follows.",
            "notify_days_before": "Days ahead the client's owner is reminded (0: on the day) "
            "and the greeting prepared, if it sends one (at least "
            f"{settings.GREETINGS_PREPARE_DAYS} days ahead, like every greeting).",
            "custom_message": "Used for the greeting when no template is chosen.",
        }
        widgets = {
            "date": DATE_INPUT,
            "custom_message": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.all()
        self.fields["contact"].queryset = ContactPerson.objects.filter(
            client__deleted_at__isnull=True
        ).select_related("client")
        self.fields["message_template"].queryset = EmailTemplate.objects.filter(is_active=True)
        _only_selected(self.fields["client"], self["client"].value())
        _only_selected(self.fields["contact"], self["contact"].value(), _contact_label)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_rule(cleaned)
        contact, client = cleaned.get("contact"), cleaned.get("client")
        if contact and not client and "client" not in self.errors:
            cleaned["client"] = contact.client
        elif contact and client and contact.client_id != client.pk:
            self.add_error("contact", f"{contact} is not a contact of {client}.")
        return cleaned

    def _clean_rule(self, cleaned: dict[str, Any]) -> None:
        """A custom rule must parse and come round; other choices keep no rule."""
        if cleaned.get("recurrence") != Recurrence.CUSTOM:
            cleaned["rrule"] = ""
            return
        start = cleaned.get("date")
        if start is None:
            return
        try:
            parse_rule(cleaned.get("rrule", ""), start)
        except RuleError as exc:
            self.add_error("rrule", str(exc))
        else:
            cleaned["rrule"] = normalize_rule(cleaned["rrule"])


class HolidayOverrideForm(forms.ModelForm):
    """The sighted date of an Eid, close to the library's estimate."""

    class Meta:
        model = HolidayOverride
        fields = ["date"]
        labels = {"date": "Date it is celebrated"}
        widgets = {"date": DATE_INPUT}

    def __init__(self, *args: Any, estimate: date, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.estimate = estimate

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        if abs((day - self.estimate).days) > MAX_HOLIDAY_SHIFT_DAYS:
            earliest = self.estimate - timedelta(days=MAX_HOLIDAY_SHIFT_DAYS)
            latest = self.estimate + timedelta(days=MAX_HOLIDAY_SHIFT_DAYS)
            raise ValidationError(
                f"Choose a day from {earliest:%d %b} to {latest:%d %b %Y}, "
                f"within {MAX_HOLIDAY_SHIFT_DAYS} days of the estimate."
            )
        return day
