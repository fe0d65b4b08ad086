from datetime import timedelta

import factory
from django.utils import timezone

from forgecrm.followups.models import FollowUpTask, FollowUpType
from tests.factories import ClientFactory


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpTask

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Call back #{n}")
    task_type = FollowUpType.CALL
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
