from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "forgecrm.timeline"
    label = "timeline"
