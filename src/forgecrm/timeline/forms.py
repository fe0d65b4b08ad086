"""Validation of a communication log entry, shared by the quick-log form and the JSON API."""

from functools import cached_property
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from forgecrm.clients.models import Client, ContactPerson
from forgecrm.core.api import MAX_ID
from forgecrm.emails.models import Email
from forgecrm.timeline.models import ICONS, Communication, CommunicationType

# What people log by hand; e-mails are put on the timeline by the emails app.
MANUAL_KINDS = (
    CommunicationType.CALL,
    CommunicationType.MEETING,
    CommunicationType.WHATSAPP,
    CommunicationType.SMS,
    CommunicationType.NOTE,
    CommunicationType.TASK,
)


class ModelIdsField(forms.ModelMultipleChoiceField):
    """Ids of rows; one too big for the database is an invalid choice, not a 500."""

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else []:
            if str(pk).strip().isdigit() and int(pk) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class CommunicationForm(forms.ModelForm):
    """One entry of a client's timeline; `client` decides which contacts and e-mails fit."""

    class Meta:
        model = Communication
        fields = [
            "kind",
            "direction",
            "subject",
            "content",
            "occurred_at",
            "duration_minutes",
            "location",
            "contact",
            "participant_contacts",
            "participant_users",
            "outcome",
            "next_steps",
            "is_private",
            "email",
        ]
        labels = {
            "subject": "Summary",
            "content": "Notes",
            "occurred_at": "When",
            "duration_minutes": "Duration (minutes)",
            "contact": "With",
            "participant_contacts": "Also with",
            "participant_users": "Our team",
            "is_private": "Private (only you and admins see it)",
            "email": "Linked e-mail",
        }
        field_classes = {"participant_contacts": ModelIdsField, "participant_users": ModelIdsField}
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "content": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, client: Client, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.client = client
        contacts = ContactPerson.objects.filter(client=client).order_by(
            "first_name", "last_name", "id"
        )
        self.fields["contact"].queryset = contacts
        self.fields["participant_contacts"].queryset = contacts
        self.fields["participant_users"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
        )
        self.fields["participant_users"].label_from_instance = _user_label
        self.fields["email"].queryset = Email.objects.filter(client=client)
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].help_text = "Leave empty for now."

    # ---- For the quick log's template (one query per list) ----

    @property
    def kind_options(self) -> list[tuple[str, str, str]]:
        """(value, label, icon) of the types logged by hand, for the quick log's buttons."""
        return [(kind.value, kind.label, ICONS[kind]) for kind in MANUAL_KINDS]

    @cached_property
    def contact_list(self) -> list[ContactPerson]:
        """The client's contacts (prefetched with the client on its page)."""
        return list(self.client.contacts.all())

    @cached_property
    def user_list(self) -> list[Any]:
        return list(self.fields["participant_users"].queryset)

    def _selected(self, name: str) -> set[str]:
        value = self[name].value() or []
        values = value if isinstance(value, list | tuple) else [value]
        return {str(getattr(v, "pk", v)) for v in values}

    @property
    def selected_contact(self) -> set[str]:
        return self._selected("contact")

    @property
    def selected_participant_contacts(self) -> set[str]:
        return self._selected("participant_contacts")

    @property
    def selected_participant_users(self) -> set[str]:
        return self._selected("participant_users")

    def clean_occurred_at(self) -> Any:
        return self.cleaned_data["occurred_at"] or timezone.now()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if not data.get("subject", "").strip() and not data.get("content", "").strip():
            self.add_error("subject", "Write a short summary or some notes.")
        if data.get("is_private") and kind != CommunicationType.NOTE:
            self.add_error("is_private", "Only notes can be private.")
        if data.get("email") and kind != CommunicationType.EMAIL:
            self.add_error("email", "Only an entry of type e-mail can link an e-mail.")
        return data


def _user_label(user: Any) -> str:
    return user.get_full_name() or user.username
