"""Communication log rows for the timeline's tests."""

import factory
from django.utils import timezone

from forgecrm.timeline.models import Communication
from tests.factories import ClientFactory


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Communication

    client = factory.SubFactory(ClientFactory)
    kind = "call"
    direction = "outbound"
    subject = factory.Sequence(lambda n: f"Call number {n}")
    content = "Talked about the website."
    occurred_at = factory.LazyFunction(timezone.now)
