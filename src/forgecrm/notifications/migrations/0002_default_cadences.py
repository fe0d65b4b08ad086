from django.db import migrations

DEFAULTS = {"platinum": 14, "gold": 21, "silver": 30, "bronze": 45}


def add_defaults(apps, schema_editor):
    TierCadence = apps.get_model("notifications", "TierCadence")
    for tier, days in DEFAULTS.items():
        TierCadence.objects.get_or_create(tier=tier, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
