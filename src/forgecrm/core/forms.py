"""Form helpers shared by the apps."""

from typing import Any

from django import forms
from django.db import models
from django.db.models import Q


def https_url_fields(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """ModelForm field factory: a typed "example.com" becomes https://example.com."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


def offer_with_current(field: forms.ModelChoiceField, offered: Q, current: int | None) -> None:
    """Offer the rows `offered` picks, plus the one the edited row already has even when it
    no longer is (a user who left, a contact in the trash): saving a change to something
    else must keep it, not drop or refuse it."""
    field.queryset = field.queryset.filter(offered | Q(pk=current))
