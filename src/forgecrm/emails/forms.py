"""Validation of email templates and bodies, shared by the pages and the JSON API."""

from django import forms
from django.core.exceptions import ValidationError

from forgecrm.emails import rendering, sanitize
from forgecrm.emails.models import EmailTemplate


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
