"""Writing many rows, one statement run for each (executemany), in the loops where the
ORM's own building of statements is most of the work: sending a batch of emails writes
several rows per email (its recipient, links and events, its timeline entry, its
follow-up) and updates the email itself. Column names and values come from the model's
fields, as the ORM's would.
"""

from collections.abc import Iterable, Sequence

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def insert_many(objects: Sequence[Model]) -> None:
    """INSERT `objects`, all of one model, as one statement run for each row (executemany).

    Each value is prepared as bulk_create prepares it (the field's pre_save, for defaults
    and auto_now, then get_db_prep_save), but not compiled into one statement with a
    placeholder per value, which costs about as much again per row: 40 against 19 µs for
    an EmailEvent on SQLite. Like bulk_create it sends no signals; unlike it, the objects
    are not given their ids.

    Build the objects with foreign keys as ids (`email_id=email.pk`): assigning a model
    instance runs the database router's checks, which cost more than inserting the row.
    """
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AUTO_FIELDS)]
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = [
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_many(objects: Sequence[Model], fields: Iterable[str]) -> None:
    """UPDATE `fields` of `objects` (all of one model, saved) to their values in memory,
    by primary key. bulk_update would write one CASE per field over every id instead,
    which costs several times the update itself per row."""
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    updated = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in updated)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in updated), obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
