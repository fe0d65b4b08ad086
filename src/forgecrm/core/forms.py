"""Form helpers shared by the apps."""

from typing import Any

from django import forms
from django.db import models


def https_url_fields(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """ModelForm field factory: a typed "example.com" becomes https://example.com."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)
