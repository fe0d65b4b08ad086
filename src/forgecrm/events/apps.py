from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "forgecrm.events"
    label = "events"
