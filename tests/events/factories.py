import datetime

import factory

from forgecrm.events.models import EventType, ImportantDate, Recurrence


class ImportantDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportantDate

    name = factory.Sequence(lambda n: f"Important day {n}")
    event_type = EventType.CUSTOM
    date = datetime.date(2026, 4, 14)
    recurrence = Recurrence.YEARLY
