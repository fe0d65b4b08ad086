from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TimelineConfig(AppConfig):
    name = "forgecrm.timeline"
    label = "timeline"

    def ready(self) -> None:
        from forgecrm.timeline.fulltext import repair_after_migrate

        post_migrate.connect(
            repair_after_migrate, sender=self, dispatch_uid="forgecrm-fulltext-repair"
        )
