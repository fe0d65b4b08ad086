"""A client's time zone becomes required: clients saved without one get the default, in
which their contacts without a zone of their own were meant to be greeted."""

from django.conf import settings
from django.db import migrations

import forgecrm.core.models


def fill_blank_zones(apps, schema_editor) -> None:
    Client = apps.get_model("clients", "Client")
    Client.objects.using(schema_editor.connection.alias).filter(timezone="").update(
        timezone=settings.TIME_ZONE
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0006_dates_from_1900"),
    ]

    operations = [
        migrations.RunPython(fill_blank_zones, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="client",
            name="timezone",
            field=forgecrm.core.models.TimeZoneField(
                blank=False, default="Asia/Dhaka", max_length=64
            ),
        ),
    ]
