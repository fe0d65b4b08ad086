"""Writes for clients and contacts. Each runs in a transaction and is audited."""

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from phonenumber_field.phonenumber import to_python

from forgecrm.clients.models import Client, ClientDocument, ContactPerson
from forgecrm.clients.queries import folded
from forgecrm.core.audit import acting_as
from forgecrm.core.files import store_upload

Actor = User | None


def phone_search_forms(number: Any) -> list[str]:
    """+8801711223344 -> ['8801711223344', '01711223344'] so local and global spellings match."""
    digits = re.sub(r"\D", "", str(number))
    forms = [digits]
    national = getattr(number, "national_number", None)
    if national:
        forms.append(f"0{national}")
    return forms


def _search_text(*parts: Any) -> str:
    return folded(" ".join(str(part) for part in parts if part))


def _contact_search_text(contact: ContactPerson) -> str:
    return _search_text(
        contact.first_name,
        contact.last_name,
        contact.job_title,
        *(e.email for e in contact.email_addresses.all()),
        *(form for p in contact.phones.all() for form in phone_search_forms(p.number)),
    )


def refresh_search_text(client: Client) -> None:
    """Rebuild the client's and its contacts' search columns after any change to them."""
    contacts = list(
        ContactPerson.objects.filter(client=client).prefetch_related("email_addresses", "phones")
    )
    for contact in contacts:
        ContactPerson.all_objects.filter(pk=contact.pk).update(
            search_text=_contact_search_text(contact)
        )
    client.search_text = _search_text(
        client.name,
        client.industry,
        *(e.email for e in client.email_addresses.all()),
        *(form for p in client.phones.all() for form in phone_search_forms(p.number)),
        *(_contact_search_text(c) for c in contacts),
    )
    Client.all_objects.filter(pk=client.pk).update(search_text=client.search_text)


def _stored(value: Any, *, phone: bool) -> Any:
    """A phone number in its E.164 form (typed or parsed alike); anything else as it is."""
    if phone:
        number = to_python(value)
        return number.as_e164 if number is not None and number.is_valid() else str(value)
    return value


def _sync_rows(owner: Model, related_name: str, key: str, rows: list[dict]) -> None:
    """Make `owner.<related_name>` equal `rows`, matching existing rows on `key`.

    E-mail addresses match case-blind and phone numbers by their E.164 form. Unchanged
    rows are left alone so the audit log only shows real changes.
    """
    phone = key == "number"

    def identity(value: Any) -> Any:
        stored = _stored(value, phone=phone)
        return stored.lower() if isinstance(stored, str) and not phone else stored

    manager = getattr(owner, related_name)
    existing = {identity(getattr(row, key)): row for row in manager.all()}
    wanted = {identity(row[key]): row for row in rows}
    for found, row in existing.items():
        if found not in wanted:
            row.delete()
    if related_name == "email_addresses" and not any(r["is_primary"] for r in rows) and rows:
        rows[0]["is_primary"] = True
    for found, values in wanted.items():
        row = existing.get(found)
        if row is None:
            manager.create(**values)
            continue
        changed = [
            name
            for name, value in values.items()
            if _stored(getattr(row, name), phone=phone and name == key)
            != _stored(value, phone=phone and name == key)
        ]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.save(update_fields=changed)


def _apply(instance: Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def client_create(
    *, fields: dict[str, Any], emails: list[dict], phones: list[dict], actor: Actor
) -> Client:
    with acting_as(actor):
        client = Client(**fields)
        if client.owner is None and actor is not None:
            client.owner = actor
        client.save()
        _sync_rows(client, "email_addresses", "email", emails)
        _sync_rows(client, "phones", "number", phones)
        refresh_search_text(client)
    return client


@transaction.atomic
def client_update(
    *,
    client: Client,
    fields: dict[str, Any],
    emails: list[dict],
    phones: list[dict],
    actor: Actor,
) -> Client:
    with acting_as(actor):
        _apply(client, fields)
        client.save()
        _sync_rows(client, "email_addresses", "email", emails)
        _sync_rows(client, "phones", "number", phones)
        refresh_search_text(client)
    return client


@transaction.atomic
def client_delete(*, client: Client, actor: Actor) -> None:
    """Move the client to the trash; it can be restored until the retention period ends."""
    with acting_as(actor):
        client.deleted_at = timezone.now()
        client.deleted_by = actor
        client.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


@transaction.atomic
def client_restore(*, client: Client, actor: Actor) -> Client:
    with acting_as(actor):
        client.deleted_at = None
        client.deleted_by = None
        client.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return client


def trash_purge_expired() -> int:
    """Remove for good the clients and contacts in the trash for longer than the retention."""
    cutoff = timezone.now() - timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS)
    count = 0
    for model in (ContactPerson, Client):
        for row in model.all_objects.filter(deleted_at__lt=cutoff).iterator():
            with transaction.atomic():
                row.delete()
            count += 1
    return count


@transaction.atomic
def contact_create(
    *,
    client: Client,
    fields: dict[str, Any],
    emails: list[dict],
    phones: list[dict],
    actor: Actor,
) -> ContactPerson:
    with acting_as(actor):
        contact = ContactPerson(client=client, **fields)
        contact.save()
        _sync_rows(contact, "email_addresses", "email", emails)
        _sync_rows(contact, "phones", "number", phones)
        if client.primary_contact_id is None:
            client.primary_contact = contact
            client.save(update_fields=["primary_contact", "updated_at"])
        refresh_search_text(client)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: ContactPerson,
    fields: dict[str, Any],
    emails: list[dict],
    phones: list[dict],
    actor: Actor,
) -> ContactPerson:
    with acting_as(actor):
        _apply(contact, fields)
        contact.save()
        _sync_rows(contact, "email_addresses", "email", emails)
        _sync_rows(contact, "phones", "number", phones)
        refresh_search_text(contact.client)
    return contact


@transaction.atomic
def contact_delete(*, contact: ContactPerson, actor: Actor) -> None:
    """Move a contact to the trash with its client's other deleted records."""
    with acting_as(actor):
        contact.deleted_at = timezone.now()
        contact.deleted_by = actor
        contact.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        client = contact.client
        if client.primary_contact_id == contact.pk:
            client.primary_contact = client.contacts.exclude(pk=contact.pk).first()
            client.save(update_fields=["primary_contact", "updated_at"])
        refresh_search_text(client)


@transaction.atomic
def contact_restore(*, contact: ContactPerson, actor: Actor) -> ContactPerson:
    """Bring a contact back; a client left without a primary contact gets this one."""
    with acting_as(actor):
        contact.deleted_at = None
        contact.deleted_by = None
        contact.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        client = contact.client
        if client.primary_contact_id is None:
            client.primary_contact = contact
            client.save(update_fields=["primary_contact", "updated_at"])
        refresh_search_text(client)
    return contact


@transaction.atomic
def document_add(*, client: Client, upload: UploadedFile, actor: Actor) -> ClientDocument:
    """Keep an uploaded file on the client's record (the form has checked its size)."""
    with acting_as(actor):
        document = ClientDocument(
            client=client,
            filename=upload.name or "document",
            size=upload.size or 0,
            uploaded_by=actor,
        )
        document.file.name = store_upload(upload, folder="documents")
        document.save()
    return document


@transaction.atomic
def document_delete(*, document: ClientDocument, actor: Actor) -> None:
    with acting_as(actor):
        document.delete()
    document.file.delete(save=False)
