"""Validation for clients and contacts, shared by the pages and the JSON API.

A client or contact is edited as a bundle: the main form plus its lists of e-mail
addresses and phone numbers. The API feeds its JSON into the same bundle, so both speak
with one set of rules and one set of messages.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat

from forgecrm.clients.models import (
    Client,
    ClientEmail,
    ClientPhone,
    ContactEmail,
    ContactPerson,
    ContactPhone,
)
from forgecrm.core.forms import https_url_fields, offer_with_current

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        formfield_callback = https_url_fields
        fields = [
            "name",
            "status",
            "tier",
            "industry",
            "company_size",
            "website",
            "linkedin_url",
            "facebook_url",
            "twitter_url",
            "tax_id",
            "primary_contact",
            "address_line",
            "city",
            "postal_code",
            "country",
            "timezone",
            "client_since",
            "contract_renewal_date",
            "currency",
            "lifetime_value",
            "annual_contract_value",
            "owner",
            "notes",
        ]
        widgets = {
            "client_since": DATE_INPUT,
            "contract_renewal_date": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        contacts = ContactPerson.objects.none()
        if self.instance.pk:
            contacts = self.instance.contacts.all()
        self.fields["primary_contact"].queryset = contacts
        offer_with_current(self.fields["owner"], Q(is_active=True), self.instance.owner_id)

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ValidationError("Use the two-letter country code, e.g. BD or US.")
        return country


class ContactForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        formfield_callback = https_url_fields
        fields = [
            "first_name",
            "last_name",
            "job_title",
            "role",
            "preferred_channel",
            "timezone",
            "birthday",
            "anniversary",
            "linkedin_url",
            "twitter_url",
            "relationship_notes",
        ]
        widgets = {
            "birthday": DATE_INPUT,
            "anniversary": DATE_INPUT,
            "relationship_notes": forms.Textarea(attrs={"rows": 3}),
        }


class EmailRowForm(forms.ModelForm):
    class Meta:
        model = ClientEmail
        fields = ["email", "label", "is_primary"]


class PhoneRowForm(forms.ModelForm):
    class Meta:
        model = ClientPhone
        fields = ["number", "kind"]


class ContactEmailRowForm(EmailRowForm):
    class Meta(EmailRowForm.Meta):
        model = ContactEmail


class ContactPhoneRowForm(PhoneRowForm):
    class Meta(PhoneRowForm.Meta):
        model = ContactPhone


class EmailRows(forms.BaseFormSet):
    """E-mail rows: no address twice, at most one primary (the first becomes primary)."""

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        primaries = 0
        for row in self.rows():
            address = row["email"].lower()
            if address in seen:
                raise ValidationError(f"{row['email']} is listed twice.")
            seen.add(address)
            primaries += row["is_primary"]
        if primaries > 1:
            raise ValidationError("Only one e-mail address can be the primary one.")

    def rows(self) -> list[dict]:
        """The filled-in rows that are not marked for removal."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class PhoneRows(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for row in self.rows():
            number = str(row["number"])
            if number in seen:
                raise ValidationError(f"{row['number']} is listed twice.")
            seen.add(number)

    rows = EmailRows.rows


def _rows_formset(form: type[forms.Form], base: type[forms.BaseFormSet]) -> type:
    return forms.formset_factory(form, formset=base, extra=1, can_delete=True, max_num=20)


ClientEmailRows = _rows_formset(EmailRowForm, EmailRows)
ClientPhoneRows = _rows_formset(PhoneRowForm, PhoneRows)
ContactEmailRows = _rows_formset(ContactEmailRowForm, EmailRows)
ContactPhoneRows = _rows_formset(ContactPhoneRowForm, PhoneRows)


class Bundle:
    """A main form plus its `emails` and `phones` row lists, validated together."""

    form_class: type[forms.ModelForm]
    email_rows_class: type[EmailRows]
    phone_rows_class: type[PhoneRows]

    def __init__(self, data: Any = None, *, instance: Any = None, **form_kwargs: Any):
        self.instance = instance
        self.form = self.form_class(data, instance=instance, **form_kwargs)
        email_initial = phone_initial = None
        if instance is not None and instance.pk and data is None:
            email_initial = list(instance.email_addresses.values("email", "label", "is_primary"))
            phone_initial = [
                {"number": phone.number, "kind": phone.kind} for phone in instance.phones.all()
            ]
        self.emails = self.email_rows_class(data, prefix="emails", initial=email_initial)
        self.phones = self.phone_rows_class(data, prefix="phones", initial=phone_initial)

    @classmethod
    def from_json(cls, payload: dict[str, Any], *, instance: Any = None) -> "Bundle":
        """Build the bundle from an API body: plain fields plus `emails`/`phones` lists."""
        # Omitted fields keep their current values (update) or the model's defaults (create).
        current = instance if instance is not None else cls.form_class._meta.model()
        data: dict[str, Any] = forms.model_to_dict(current, fields=cls.form_class._meta.fields)
        data.update({k: v for k, v in payload.items() if k not in ("emails", "phones")})
        data = {key: "" if value is None else value for key, value in data.items()}
        for prefix in ("emails", "phones"):
            rows = payload.get(prefix)
            if rows is None and instance is not None:
                rows = cls._current_rows(instance, prefix)
            rows = rows or []
            data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
            data[f"{prefix}-INITIAL_FORMS"] = "0"
            for index, row in enumerate(rows):
                for key, value in row.items():
                    if isinstance(value, bool):
                        value = "on" if value else ""
                    data[f"{prefix}-{index}-{key}"] = "" if value is None else value
        return cls(data, instance=instance)

    @staticmethod
    def _current_rows(instance: Any, prefix: str) -> list[dict]:
        if prefix == "emails":
            return list(instance.email_addresses.values("email", "label", "is_primary"))
        return [{"number": str(p.number), "kind": p.kind} for p in instance.phones.all()]

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.emails.is_valid(), self.phones.is_valid()])

    @property
    def errors(self) -> dict[str, list[str]]:
        """Errors keyed like the API's fields: `name`, `emails.0.email`, `emails`."""
        errors: dict[str, list[str]] = {
            field: list(messages) for field, messages in self.form.errors.items()
        }
        for prefix, rows in (("emails", self.emails), ("phones", self.phones)):
            for index, row_errors in enumerate(rows.errors):
                for field, messages in row_errors.items():
                    errors[f"{prefix}.{index}.{field}"] = list(messages)
            if rows.non_form_errors():
                errors[prefix] = list(rows.non_form_errors())
        return errors

    @property
    def cleaned(self) -> dict[str, Any]:
        return {
            "fields": self.form.cleaned_data,
            "emails": [
                {k: row[k] for k in ("email", "label", "is_primary")} for row in self.emails.rows()
            ],
            "phones": [{k: row[k] for k in ("number", "kind")} for row in self.phones.rows()],
        }


class ClientBundle(Bundle):
    form_class = ClientForm
    email_rows_class = ClientEmailRows
    phone_rows_class = ClientPhoneRows


class ContactBundle(Bundle):
    form_class = ContactForm
    email_rows_class = ContactEmailRows
    phone_rows_class = ContactPhoneRows


class DocumentForm(forms.Form):
    file = forms.FileField(label="Add a document")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.CLIENT_DOCUMENT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"{upload.name} is {filesizeformat(upload.size)}; "
                f"documents can be up to {filesizeformat(limit)}."
            )
        return upload
