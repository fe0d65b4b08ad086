"""Client and contact services: audit trail, search column, address lists, the trash."""

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.utils import timezone

from forgecrm.clients import services
from forgecrm.clients.models import Client, ContactPerson
from forgecrm.clients.queries import ClientFilters, client_history, client_list

pytestmark = pytest.mark.django_db


def make_client(actor, **fields):
    return services.client_create(
        fields={"name": "Shapla Garments", "status": "active", "tier": "gold", **fields},
        emails=[{"email": "info@shapla.com.bd", "label": "work", "is_primary": False}],
        phones=[{"number": "+8801711223344", "kind": "office"}],
        actor=actor,
    )


def make_contact(client, actor, first_name="Rahim", email="rahim@shapla.com.bd"):
    return services.contact_create(
        client=client,
        fields={"first_name": first_name, "last_name": "Uddin", "role": "billing"},
        emails=[{"email": email, "label": "work", "is_primary": True}],
        phones=[{"number": "+8801999888777", "kind": "whatsapp"}],
        actor=actor,
    )


def test_creating_a_client_is_audited_with_its_author(member):
    client = make_client(member)
    entry = LogEntry.objects.get_for_object(client).get()
    assert entry.actor == member
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["name"] == ["None", "Shapla Garments"]


def test_an_update_records_what_changed_and_nothing_else(member, manager):
    client = make_client(member)
    before = LogEntry.objects.count()
    services.client_update(
        client=client,
        fields={"tier": "platinum"},
        emails=[{"email": "info@shapla.com.bd", "label": "work", "is_primary": True}],
        phones=[{"number": "+8801711223344", "kind": "office"}],
        actor=manager,
    )
    new_entries = list(LogEntry.objects.order_by("id")[before:])
    client_entry = next(e for e in new_entries if e.object_pk == str(client.pk))
    assert client_entry.actor == manager
    assert client_entry.changes_dict["tier"] == ["gold", "platinum"]
    # The unchanged address and phone were left alone.
    assert [e.object_repr for e in new_entries] == ["Shapla Garments"]


def test_the_only_address_becomes_primary(member):
    client = make_client(member)
    assert client.email_addresses.get().is_primary


def test_search_finds_a_client_by_contact_name_email_and_local_phone(member):
    client = make_client(member)
    make_contact(client, member, first_name="রহিম")
    for term in ["shapla", "রহিম", "rahim@shapla", "01999-888777", "+880 1711 223344"]:
        found = client_list(ClientFilters(q=term))
        assert list(found) == [client], term


def test_first_contact_becomes_primary_and_deleting_it_hands_over(member):
    client = make_client(member)
    first = make_contact(client, member, first_name="Rahim", email="r@shapla.com.bd")
    second = make_contact(client, member, first_name="Karim", email="k@shapla.com.bd")
    client.refresh_from_db()
    assert client.primary_contact == first

    services.contact_delete(contact=first, actor=member)

    client.refresh_from_db()
    assert client.primary_contact == second
    assert list(client_list(ClientFilters(q="r@shapla"))) == []


def test_deleted_clients_stay_in_the_trash_until_the_retention_ends(member, settings):
    client = make_client(member)
    services.client_delete(client=client, actor=member)
    assert not Client.objects.filter(pk=client.pk).exists()
    assert list(client_list(ClientFilters(), deleted=True)) == [client]

    later = timezone.now() + timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS - 1)
    with time_machine.travel(later):
        assert services.trash_purge_expired() == 0
    services.client_restore(client=client, actor=member)
    assert Client.objects.filter(pk=client.pk).exists()

    services.client_delete(client=client, actor=member)
    later = timezone.now() + timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS + 1)
    with time_machine.travel(later):
        assert services.trash_purge_expired() == 1
    assert not Client.all_objects.filter(pk=client.pk).exists()


def test_purging_a_client_removes_its_contacts(member, settings):
    client = make_client(member)
    make_contact(client, member)
    services.client_delete(client=client, actor=member)
    later = timezone.now() + timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS + 1)
    with time_machine.travel(later):
        services.trash_purge_expired()
    assert not ContactPerson.all_objects.exists()


def test_history_includes_contacts_and_removed_addresses(member):
    client = make_client(member)
    contact = make_contact(client, member)
    services.contact_update(
        contact=contact,
        fields={"job_title": "CFO"},
        emails=[],
        phones=[],
        actor=member,
    )
    history = [item.entry for item in client_history(client)]
    reprs = [(entry.object_repr, entry.action) for entry in history]
    assert ("rahim@shapla.com.bd", LogEntry.Action.DELETE) in reprs
    assert ("Rahim Uddin", LogEntry.Action.UPDATE) in reprs
    assert ("Shapla Garments", LogEntry.Action.CREATE) in reprs
    assert all(entry.actor == member for entry in history)


def test_changing_only_the_case_of_an_address_is_saved(member):
    client = make_client(member)
    services.client_update(
        client=client,
        fields={},
        emails=[{"email": "Info@Shapla.com.bd", "label": "work", "is_primary": True}],
        phones=[{"number": "+8801711223344", "kind": "office"}],
        actor=member,
    )
    assert list(client.email_addresses.values_list("email", flat=True)) == ["Info@Shapla.com.bd"]
    assert client.email_addresses.count() == 1
