"""Validation for the notification settings page."""

from typing import Any

from django import forms

from forgecrm.clients.models import Tier

MAX_CADENCE_DAYS = 3650


class CadenceForm(forms.Form):
    """Days of silence allowed per tier, one field per tier."""

    def __init__(self, *args: Any, initial_days: dict[str, int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for tier, label in Tier.choices:
            self.fields[tier] = forms.IntegerField(
                label=label,
                min_value=1,
                max_value=MAX_CADENCE_DAYS,
                initial=initial_days.get(tier),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
