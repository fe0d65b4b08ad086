"""Writes to the communication log. Each runs in a transaction and is audited."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from forgecrm.clients.models import Client
from forgecrm.core.audit import acting_as
from forgecrm.timeline.models import Communication

MANY_TO_MANY = ("participant_contacts", "participant_users")


@transaction.atomic
def communication_log(
    *, client: Client, fields: dict[str, Any], actor: User | None
) -> Communication:
    """Add an entry to `client`'s timeline; `fields` are a CommunicationForm's cleaned data."""
    values = {name: value for name, value in fields.items() if name not in MANY_TO_MANY}
    with acting_as(actor):
        communication = Communication.objects.create(client=client, created_by=actor, **values)
        for name in MANY_TO_MANY:
            if fields.get(name):
                getattr(communication, name).set(fields[name])
    return communication


@transaction.atomic
def communication_delete(*, communication: Communication, actor: User | None) -> None:
    with acting_as(actor):
        communication.delete()
