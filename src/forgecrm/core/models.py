"""Base models shared by every app."""

import functools
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AliveManager(models.Manager):
    """Hides soft-deleted rows; `all_objects` still reaches them (trash, restore, purge)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """A row that is hidden for a retention period before it is removed for good."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Currency(models.TextChoices):
    BDT = "BDT", "BDT — Bangladeshi taka"
    USD = "USD", "USD — US dollar"
    EUR = "EUR", "EUR — Euro"
    GBP = "GBP", "GBP — Pound sterling"
    AUD = "AUD", "AUD — Australian dollar"
    CAD = "CAD", "CAD — Canadian dollar"
    INR = "INR", "INR — Indian rupee"
    AED = "AED", "AED — UAE dirham"
    SAR = "SAR", "SAR — Saudi riyal"
    SGD = "SGD", "SGD — Singapore dollar"
    MYR = "MYR", "MYR — Malaysian ringgit"
    JPY = "JPY", "JPY — Japanese yen"


def money_field(verbose_name: str | None = None, **kwargs) -> models.DecimalField:
    """Money amounts are Decimal with two places; the currency lives in a sibling field."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """IANA time zone names known to this Python (zoneinfo + tzdata)."""
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}))


def validate_timezone(value: str) -> None:
    if value and value not in timezone_names():
        raise ValidationError(f"“{value}” is not an IANA time zone name, e.g. Asia/Dhaka.")


class TimeZoneField(models.CharField):
    """An IANA time zone name such as Asia/Dhaka, validated against zoneinfo."""

    default_validators = [validate_timezone]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # `blank` defaults to True here, unlike CharField's, so it is always written out.
        name, path, args, kwargs = super().deconstruct()
        kwargs["blank"] = self.blank
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        choices = [("", "—")] + [(name, name) for name in timezone_names()]
        return forms.ChoiceField(
            choices=choices,
            required=not self.blank,
            label=self.verbose_name.capitalize(),
            help_text=self.help_text,
            initial=kwargs.get("initial", self.default if self.has_default() else ""),
        )
