"""Validation of email templates and bodies, shared by the pages and the JSON API."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from forgecrm.clients.models import Client, ContactPerson, Project
from forgecrm.core.api import object_id
from forgecrm.emails import rendering, sanitize
from forgecrm.emails.models import EmailTemplate, EmailType
from forgecrm.sales.models import Deal


def clean_subject_source(subject: str) -> str:
    """A subject template: one line, only known variables, valid syntax."""
    subject = " ".join(subject.split())
    try:
        rendering.check(subject)
    except rendering.TemplateProblem as problem:
        raise ValidationError(problem.message) from None
    return subject


def clean_body_source(body_html: str) -> str:
    """A body template, checked, then sanitized (and checked again, in case that broke it)."""
    try:
        rendering.check(body_html)
    except rendering.TemplateProblem as problem:
        raise ValidationError(problem.message) from None
    cleaned = sanitize.clean(body_html, template=True)
    try:
        rendering.check(cleaned)
    except rendering.TemplateProblem as problem:
        raise ValidationError(
            f"Once unsafe HTML is removed, the template no longer works: {problem.message}"
        ) from None
    return cleaned


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body_html", "template_type", "category", "is_active"]

    def clean_subject(self) -> str:
        return clean_subject_source(self.cleaned_data["subject"])

    def clean_body_html(self) -> str:
        return clean_body_source(self.cleaned_data["body_html"])


# ---- Pages: the template editor and the composer ---------------------------------------------

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class TemplatePageForm(EmailTemplateForm):
    """The template editor: the API's form with Bootstrap widgets (the body is edited in
    a rich-text editor that writes into the hidden textarea)."""

    class Meta(EmailTemplateForm.Meta):
        widgets = {
            "name": forms.TextInput(attrs=TEXT),
            "subject": forms.TextInput(attrs={**TEXT, "data-variable-target": "1"}),
            "body_html": forms.Textarea(attrs={"class": "form-control rich-source", "rows": 8}),
            "template_type": forms.Select(attrs=SELECT),
            "category": forms.Select(attrs=SELECT),
            "is_active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
        labels = {"body_html": "Message", "template_type": "Email type", "is_active": "Active"}


class Recipients(forms.Field):
    """Picked contacts (their ids) and typed addresses, as services.Draft takes them."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[int | str]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        cleaned: list[int | str] = []
        for item in values:
            item = str(item).strip()
            if item:
                # A contact's id; digits too big for one are left as a (wrong) address.
                pk = object_id(item)
                cleaned.append(item if pk is None else pk)
        return cleaned

    def validate(self, value: list[int | str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class MultipleFiles(forms.ClearableFileInput):
    allow_multiple_selected = True


class Files(forms.FileField):
    widget = MultipleFiles

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(Files, self).clean(item, initial) for item in files]
        # Checked here, before the views read the files into memory.
        limit = settings.EMAIL_ATTACHMENTS_MAX_BYTES
        if sum(f.size or 0 for f in cleaned) > limit:
            raise ValidationError(f"Attachments may add up to {filesizeformat(limit)}.")
        return cleaned


NOW, LATER = "now", "later"


class ComposeForm(forms.Form):
    """The composer's fields; services.email_send / email_schedule check the rest."""

    template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.filter(is_active=True).order_by("category", "name"),
        required=False,
        empty_label="No template",
        widget=forms.Select(attrs=SELECT),
    )
    to = Recipients(label="To", required=False)
    cc = Recipients(label="Cc", required=False)
    bcc = Recipients(label="Bcc", required=False)
    subject = forms.CharField(required=False, max_length=998, widget=forms.TextInput(attrs=TEXT))
    body_html = forms.CharField(
        label="Message",
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control rich-source", "rows": 8}),
    )
    email_type = forms.ChoiceField(
        label="Email type",
        required=False,
        choices=[("", "As the template says"), *EmailType.choices],
        widget=forms.Select(attrs=SELECT),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"),
        required=False,
        empty_label="From the first recipient",
        widget=forms.Select(attrs=SELECT),
    )
    contact = forms.ModelChoiceField(
        queryset=ContactPerson.objects.select_related("client"),
        required=False,
        empty_label="The first recipient who is a contact",
        widget=forms.Select(attrs=SELECT),
    )
    deal = forms.ModelChoiceField(
        queryset=Deal.objects.none(),
        required=False,
        empty_label="No deal",
        widget=forms.Select(attrs=SELECT),
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        empty_label="No project",
        widget=forms.Select(attrs=SELECT),
    )
    attachments = Files(required=False, widget=MultipleFiles(attrs={"class": "form-control"}))
    when = forms.ChoiceField(
        choices=[(NOW, "Send now"), (LATER, "Schedule")],
        initial=NOW,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    send_at = forms.DateTimeField(
        label="Date and time",
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    timezone = forms.ChoiceField(
        label="In",
        required=False,
        choices=[("", "My time zone"), ("recipient", "The recipient's time zone")],
        widget=forms.Select(attrs=SELECT),
    )
    read_receipt = forms.BooleanField(
        label="Ask for a read receipt",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    follow_up_days = forms.IntegerField(
        label="Remind me to follow up after",
        required=False,
        min_value=1,
        max_value=365,
        widget=forms.NumberInput(attrs={**TEXT, "placeholder": "days"}),
    )

    def __init__(self, *args: Any, client: Client | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        client = client or self._picked_client()
        # Deals and projects are offered for the chosen client; the service checks they match.
        if client is not None:
            self.fields["deal"].queryset = Deal.objects.filter(client=client).order_by("title")
            self.fields["project"].queryset = client.projects.order_by("name")
            self.fields["contact"].queryset = ContactPerson.objects.filter(
                client=client
            ).select_related("client")
        else:
            self.fields["contact"].queryset = ContactPerson.objects.none()
        # Only the chosen client is rendered; others are found by typing (there may be
        # 100,000 of them). Picking one reloads its contacts, deals and projects (htmx).
        self.fields["client"].widget.choices = [
            ("", self.fields["client"].empty_label),
            *([(client.pk, client.name)] if client is not None else []),
        ]
        self.fields["client"].widget.attrs.update(
            {
                "data-client-search": reverse("emails:client_search"),
                "hx-get": reverse("emails:compose"),
                "hx-trigger": "change",
                "hx-target": "#about-fields",
                "hx-select": "#about-fields",
                "hx-swap": "outerHTML",
            }
        )
        search = reverse("emails:contact_search")
        for name in ("to", "cc", "bcc"):
            widget = self.fields[name].widget
            widget.choices = self._recipient_choices(name)
            widget.attrs.update(
                {
                    "data-contact-search": search,
                    "data-typed-addresses": "",
                    "placeholder": "Name or e-mail address",
                }
            )
        self.fields["subject"].widget.attrs["data-variable-target"] = "1"

    def _picked_client(self) -> Client | None:
        raw = self.data.get("client") if self.is_bound else self.initial.get("client")
        if isinstance(raw, Client):
            return raw
        if raw and str(raw).isdigit():
            return Client.objects.filter(pk=int(raw)).first()
        return None

    def _recipient_choices(self, name: str) -> list[tuple[str, str]]:
        """The options of the already chosen recipients, so the picker shows them."""
        if self.is_bound:
            raw = self.data.getlist(name) if hasattr(self.data, "getlist") else []
        else:
            raw = [str(v) for v in self.initial.get(name, [])]
        ids = [pk for pk in map(object_id, raw) if pk is not None]
        labels = {
            str(c.pk): contact_label(c)
            for c in ContactPerson.objects.filter(pk__in=ids).prefetch_related("email_addresses")
        }
        return [(v, labels.get(v, v)) for v in raw if v]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["when"] = data.get("when") or NOW
        if data["when"] == LATER and not data.get("send_at"):
            self.add_error("send_at", "Pick when to send it.")
        return data


def contact_label(contact: ContactPerson) -> str:
    addresses = list(contact.email_addresses.all())
    email = addresses[0].email if addresses else "no e-mail address"
    return f"{contact.full_name} <{email}>"


def flag_errors(form: forms.Form) -> forms.Form:
    """Give the widgets of fields with errors Bootstrap's `is-invalid` class."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
            widget.attrs["aria-describedby"] = f"{name}-errors"
    return form
