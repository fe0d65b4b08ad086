"""The plan's default rules: proposal -> 3 days, quote -> 2 days, outreach (no reply) -> 7 days."""

from django.db import migrations

DEFAULTS = {"proposal": 3, "quote": 2, "outreach": 7}


def create(apps, schema_editor):
    rule = apps.get_model("followups", "FollowUpRule")
    for email_type, days in DEFAULTS.items():
        rule.objects.get_or_create(email_type=email_type, defaults={"days": days})


def remove(apps, schema_editor):
    apps.get_model("followups", "FollowUpRule").objects.filter(
        email_type__in=list(DEFAULTS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("followups", "0002_rules")]
    operations = [migrations.RunPython(create, remove)]
