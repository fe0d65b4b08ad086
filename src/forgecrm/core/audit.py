"""Who did what: every CRM write goes through a service that names its actor.

`track` registers a model with django-auditlog; `readable_history` turns entries into
what a record's page shows.
"""

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst


@contextlib.contextmanager
def acting_as(actor: User | None) -> Iterator[None]:
    """Attribute the audit entries written inside the block to `actor`.

    Needed because API requests authenticated by token have no user yet when
    AuditlogMiddleware runs.
    """
    with set_actor(actor):
        yield


def history_for(
    *, parents: list[tuple[type[Model], list[int]]], children: list[type[Model]], client_id: int
) -> QuerySet[LogEntry]:
    """Audit entries of some rows plus of child rows tagged with `client_id`.

    Child rows (addresses, phones) may be deleted since, so they are found through the
    `client_id` their `get_additional_data()` wrote on each entry, not through their ids.
    """
    types = ContentType.objects.get_for_models(*[m for m, _ in parents], *children)
    condition = Q(
        content_type__in=[types[m] for m in children], additional_data__client_id=client_id
    )
    for model, ids in parents:
        condition |= Q(content_type=types[model], object_id__in=ids)
    return LogEntry.objects.filter(condition).select_related("actor").order_by("-timestamp")


def track(model: type[Model], *, exclude: tuple[str, ...] = ()) -> None:
    """Audit a model's own columns (auditlog would also list reverse relations as "None")."""
    fields = [f.name for f in model._meta.concrete_fields if f.name not in {*exclude, *NOISE}]
    auditlog.register(model, include_fields=fields)


NOISE = ("created_at", "updated_at", "search_text")


ACTION_LABELS = {
    LogEntry.Action.CREATE: "Added",
    LogEntry.Action.UPDATE: "Changed",
    LogEntry.Action.DELETE: "Removed",
    LogEntry.Action.ACCESS: "Viewed",
}
# Links to the parent row: the entry's subject already says whose row it is.
HIDDEN_CHANGE_FIELDS = {"id", "client", "contact"}


@dataclass
class Change:
    label: str
    old: Any
    new: Any


@dataclass
class HistoryItem:
    entry: LogEntry
    action: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    # (change, model, raw old, raw new) still to be named after one query per model
    _pending: list = field(default_factory=list, repr=False)


def _raw(value: Any) -> Any:
    return None if value in (None, "None", "") else value


def _same_number(model_field: Any, old: Any, new: Any) -> bool:
    if model_field.get_internal_type() != "DecimalField" or old is None or new is None:
        return False
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except InvalidOperation:
        return False


def _display(model_field: Any, value: Any) -> Any:
    """A stored audit value as people read it (choice labels, dates, yes/no)."""
    if value is None:
        return None
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    kind = model_field.get_internal_type()
    if kind == "BooleanField":
        return "yes" if value in ("True", True) else "no"
    if kind == "DateTimeField":
        return parse_datetime(str(value)) or value
    if kind == "DateField":
        return parse_date(str(value)) or value
    return value


def readable_history(entries: list[LogEntry]) -> list[HistoryItem]:
    """Audit entries made readable: what was done to what, and which fields changed.

    Related rows (owner, primary contact ...) are named with one query per model, so the
    page's query count does not grow with the number of entries.
    """
    items: list[HistoryItem] = []
    wanted: dict[type[Model], set[str]] = defaultdict(set)
    for entry in entries:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        noun = capfirst(model._meta.verbose_name) if model else "Record"
        subject = f"{noun} {entry.object_repr}"
        owner_name = (entry.additional_data or {}).get("contact")
        if owner_name:
            subject += f" ({owner_name})"
        item = HistoryItem(entry=entry, action=ACTION_LABELS.get(entry.action, ""), subject=subject)
        items.append(item)
        if model is None or entry.action == LogEntry.Action.DELETE:
            continue
        for name, values in (entry.changes_dict or {}).items():
            if name in HIDDEN_CHANGE_FIELDS:
                continue
            old, new = (_raw(v) for v in values)
            if entry.action == LogEntry.Action.CREATE and new is None:
                continue
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:  # a field removed since the entry was written
                item.changes.append(Change(capfirst(name), old, new))
                continue
            if _same_number(model_field, old, new):  # 0 -> 0.00 is no change
                continue
            label = capfirst(model_field.verbose_name)
            if model_field.many_to_one:
                change = Change(label, old, new)
                item._pending.append((change, model_field.related_model, old, new))
                wanted[model_field.related_model].update(v for v in (old, new) if v)
            else:
                change = Change(label, _display(model_field, old), _display(model_field, new))
            item.changes.append(change)
    names = {
        model: {str(obj.pk): str(obj) for obj in model._base_manager.filter(pk__in=ids)}
        for model, ids in wanted.items()
    }
    for item in items:
        for change, model, old, new in item._pending:
            change.old = names[model].get(old, f"#{old}") if old else None
            change.new = names[model].get(new, f"#{new}") if new else None
    return items
