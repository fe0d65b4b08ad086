"""Who did what: every CRM write goes through a service that names its actor."""

import contextlib
from collections.abc import Iterator

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet


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
