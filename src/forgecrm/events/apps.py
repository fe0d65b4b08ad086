from django.apps import AppConfig
from django.conf import settings


class EventsConfig(AppConfig):
    name = "forgecrm.events"
    label = "events"

    def ready(self) -> None:
        from forgecrm.events.holiday_calendar import check_countries

        check_countries(settings.HOLIDAY_COUNTRIES)
