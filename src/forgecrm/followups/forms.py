"""Validation of follow-ups, sequences and rules, shared by the pages and the JSON API."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.core.forms import offer_with_current
from forgecrm.emails.models import EmailTemplate
from forgecrm.followups.models import (
    FollowUpRule,
    FollowUpStatus,
    FollowUpTask,
    FollowUpType,
    Priority,
    Sequence,
    SequenceStep,
    StepKind,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# Far-off years overflow when converted between time zones (year 0 or 10000).
YEARS = (1900, 9000)
MAX_REMIND_BEFORE = timedelta(days=365)


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
        help_texts = {
            "remind_before": "How long before the due time to remind you: hours:minutes:"
            "seconds, with days first if any (0:30:00 is half an hour, 1 0:00:00 a day)."
        }
        field_classes = {"due_at": DueAtField}
        widgets = {"due_at": DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.all()
        self.fields["contact"].queryset = ContactPerson.all_objects.all()
        contact_alive = Q(deleted_at__isnull=True)
        offer_with_current(self.fields["contact"], contact_alive, self.instance.contact_id)
        self.fields["assignee"].queryset = get_user_model().objects.all()
        offer_with_current(self.fields["assignee"], Q(is_active=True), self.instance.assignee_id)

    def for_client(self, client: Client) -> None:
        """On a client's page: the client is fixed, the people offered are its own."""
        self.fields["client"].queryset = Client.objects.filter(pk=client.pk)
        self.fields["client"].widget = forms.HiddenInput()
        self.fields["contact"].queryset = ContactPerson.objects.filter(client=client)
        self.fields.pop("status")

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or self.instance.status or FollowUpStatus.PENDING

    def clean_remind_before(self) -> timedelta | None:
        value = self.cleaned_data.get("remind_before")
        if value is not None and not timedelta(minutes=1) <= value <= MAX_REMIND_BEFORE:
            raise forms.ValidationError(
                "Remind from 1 minute to 365 days before, e.g. 0:30:00 for half an hour "
                "or 2 0:00:00 for two days."
            )
        return value

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

    def valid_values(self) -> dict[str, Any]:
        """The filters that are valid: one bad value (a client since deleted) drops only
        itself, not every other filter the page still shows as chosen."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


# ---- Sequences and rules ---------------------------------------------------------------------


class SequenceForm(forms.ModelForm):
    class Meta:
        model = Sequence
        fields = ["name", "description", "is_active"]
        labels = {"is_active": "Active (takes new enrollments)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class StepForm(forms.ModelForm):
    """One step: an email needs a template, a task needs a title."""

    class Meta:
        model = SequenceStep
        fields = ["days", "kind", "template", "task_title", "task_type", "priority", "assignee"]
        labels = {
            "days": "Day",
            "kind": "Step",
            "task_title": "Task title",
            "task_type": "Task type",
        }
        help_texts = {"days": "", "assignee": ""}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EmailTemplate.objects.filter(is_active=True)
        self.fields["template"].empty_label = "Pick a template"
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["assignee"].empty_label = "Whoever enrolled the contact"
        self.fields["days"].widget.attrs.update({"min": 0, "max": 3650})

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days > 3650:
            raise forms.ValidationError("At most 3650 days (ten years).")
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == StepKind.EMAIL and not data.get("template"):
            self.add_error("template", "Pick the template of the email.")
        if data.get("kind") == StepKind.TASK and not (data.get("task_title") or "").strip():
            self.add_error("task_title", "Give the task a title.")
        return data


StepFormSet = forms.inlineformset_factory(
    Sequence,
    SequenceStep,
    form=StepForm,
    extra=1,
    can_delete=True,
    min_num=1,
    validate_min=True,
    max_num=30,
    validate_max=True,
)


def contacts_by_ids(ids: list[int]) -> list[ContactPerson]:
    """Live contacts of live clients, in the order asked."""
    found = ContactPerson.objects.filter(
        pk__in=ids, client__deleted_at__isnull=True
    ).select_related("client")
    by_id = {contact.pk: contact for contact in found}
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]


class ContactIdsField(forms.TypedMultipleChoiceField):
    """Contact ids picked with a search box (the page never lists every contact)."""

    def __init__(self, **kwargs: Any):
        super().__init__(coerce=int, choices=[], **kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class EnrollForm(forms.Form):
    """Bulk enroll from a sequence's page: contacts from anywhere."""

    contacts = ContactIdsField(
        label="People", error_messages={"required": "Pick at least one person."}
    )

    def clean_contacts(self) -> list[ContactPerson]:
        contacts = contacts_by_ids(self.cleaned_data["contacts"])
        if not contacts:
            raise forms.ValidationError("None of these people exist any more.")
        return contacts


class ClientEnrollForm(forms.Form):
    """From a client's page: a sequence, and which of the client's people."""

    sequence = forms.ModelChoiceField(
        queryset=Sequence.objects.filter(is_active=True), empty_label="Pick a sequence"
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=ContactPerson.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="People",
        error_messages={"required": "Pick at least one person."},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = ContactPerson.objects.filter(client=client)


class RuleForm(forms.ModelForm):
    class Meta:
        model = FollowUpRule
        fields = ["email_type", "days", "priority", "is_active"]
        labels = {
            "email_type": "When an email of this type is sent",
            "days": "follow up after (days)",
            "is_active": "Active",
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs.update({"min": 1, "max": 365})
        if self.instance.pk:
            self.fields["email_type"].disabled = True

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError("Between 1 and 365 days.")
        return days
