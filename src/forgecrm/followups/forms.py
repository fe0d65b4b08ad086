"""Validation of follow-ups, shared by the pages and the JSON API."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.followups.models import FollowUpStatus, FollowUpTask, FollowUpType, Priority

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# Far-off years overflow when converted between time zones (year 0 or 10000).
YEARS = (1900, 9000)


def sane_due_at(value: datetime | None) -> datetime | None:
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise forms.ValidationError(f"Pick a time between the years {YEARS[0]} and {YEARS[1]}.")
    return value


class DueAtField(forms.DateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip()[:4].isdigit():
            year = int(value.strip()[:4])
            if not YEARS[0] <= year <= YEARS[1]:
                sane_due_at(datetime(year, 1, 1))
        if isinstance(value, datetime):
            sane_due_at(value)
        return super().to_python(value)


class FollowUpForm(forms.ModelForm):
    """A follow-up; the contact must work for the client. Status only moves between the
    open ones here: completing and skipping have their own actions."""

    status = forms.ChoiceField(
        required=False,
        choices=[(FollowUpStatus.PENDING, "Pending"), (FollowUpStatus.IN_PROGRESS, "In progress")],
    )

    class Meta:
        model = FollowUpTask
        fields = [
            "client",
            "contact",
            "title",
            "task_type",
            "priority",
            "due_at",
            "remind_before",
            "notes",
            "assignee",
            "status",
        ]
        labels = {"due_at": "Due", "task_type": "Type"}
        field_classes = {"due_at": DueAtField}
        widgets = {"due_at": DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.all()
        self.fields["contact"].queryset = ContactPerson.objects.all()
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True)

    def for_client(self, client: Client) -> None:
        """On a client's page: the client is fixed, the people offered are its own."""
        self.fields["client"].queryset = Client.objects.filter(pk=client.pk)
        self.fields["client"].widget = forms.HiddenInput()
        self.fields["contact"].queryset = ContactPerson.objects.filter(client=client)
        self.fields.pop("status")

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or self.instance.status or FollowUpStatus.PENDING

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        client, contact = data.get("client"), data.get("contact")
        if client is not None and contact is not None and contact.client_id != client.pk:
            self.add_error("contact", f"{contact} does not work for {client}.")
        return data


class RescheduleForm(forms.Form):
    due_at = DueAtField(label="New due time", widget=DATETIME)


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.TextInput())

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why you skip it.")
        return reason


class BulkForm(forms.Form):
    ACTIONS = [("complete", "Complete"), ("reschedule", "Reschedule")]

    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    due_at = DueAtField(required=False, widget=DATETIME)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the view loads only existing follow-ups.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 10  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "reschedule" and not data.get("due_at"):
            self.add_error("due_at", "Pick the new due time.")
        return data


class FilterForm(forms.Form):
    """The dashboard's GET parameters; invalid ones are ignored."""

    client = forms.ModelChoiceField(queryset=Client.objects.all(), required=False)
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *FollowUpType.choices])
    priority = forms.ChoiceField(
        required=False, choices=[("", "All priorities"), *Priority.choices]
    )
    mine = forms.BooleanField(required=False, label="Only mine")
