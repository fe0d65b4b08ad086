"""Search text in Unicode's normal form NFC (clients.queries.folded), so a Bengali letter
typed one way is found when searched for typed the other way."""

import unicodedata

from django.db import migrations


def fold_search_text(apps, schema_editor) -> None:
    alias = schema_editor.connection.alias
    for name in ("Client", "ContactPerson"):
        model = apps.get_model("clients", name)
        rows = model.objects.using(alias).exclude(search_text="").values_list("pk", "search_text")
        for pk, text in rows.iterator(chunk_size=2000):
            normal = unicodedata.normalize("NFC", text)
            if normal != text:
                model.objects.using(alias).filter(pk=pk).update(search_text=normal)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_client_timezone_required"),
    ]

    operations = [migrations.RunPython(fold_search_text, migrations.RunPython.noop)]
