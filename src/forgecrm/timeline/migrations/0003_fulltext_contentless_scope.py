"""SQLite: the FTS5 tables become contentless, and communications' also index their client,
so one client's timeline is searched without listing every client's matches.

Rebuilt from the tables; PostgreSQL's GIN indexes are dropped and created as they were.
"""

from django.db import migrations

from forgecrm.timeline import fulltext


def rebuild(apps, schema_editor):
    fulltext.drop(apps, schema_editor)
    fulltext.ensure(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0002_fulltext_search")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
