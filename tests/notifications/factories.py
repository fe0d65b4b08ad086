import factory

from forgecrm.notifications.models import Notification, NotificationKind
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.OVERDUE
    title = factory.Sequence(lambda n: f"Overdue: Call back #{n}")
    body = "Acme Ltd · due Tue 10 Mar, 12:00"
    url = "/admin/crm/followups/"
    key = factory.Sequence(lambda n: f"test:{n}")
