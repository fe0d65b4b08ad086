"""Full-text indexes for the global search (see forgecrm.timeline.fulltext).

PostgreSQL: GIN indexes on to_tsvector('simple', ...); SQLite: FTS5 tables kept in sync
by triggers. Other databases get nothing.
"""

from django.db import migrations

from forgecrm.timeline import fulltext


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0001_initial"),
        ("clients", "0001_initial"),
        ("emails", "0001_initial"),
    ]

    operations = [migrations.RunPython(fulltext.ensure, fulltext.drop)]
