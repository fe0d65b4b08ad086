"""Factories for email rows and what emails link to."""

import factory
from django.utils import timezone

from forgecrm.clients.models import Project
from forgecrm.emails.models import (
    Direction,
    Email,
    EmailRecipient,
    EmailStatus,
    EmailTemplate,
    EmailType,
)
from forgecrm.emails.tracking import new_email_token
from forgecrm.sales.models import Deal
from tests.factories import ClientFactory, ContactEmailFactory, ContactFactory


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Hello {{contact_first_name}}"
    body_html = "<p>Dear {{contact_name}}, greetings from {{sender_company}}.</p>"
    template_type = EmailType.OUTREACH


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    service_type = "web"
    status = "active"


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")


def contact_with_address(address: str | None = None, **kwargs):
    """A contact person with one (primary) e-mail address."""
    extra = {"email": address} if address else {}
    return ContactEmailFactory(contact=ContactFactory(**kwargs), **extra).contact


class EmailFactory(factory.django.DjangoModelFactory):
    """An outbound email a mail server accepted, with one recipient."""

    class Meta:
        model = Email
        skip_postgeneration_save = True

    direction = Direction.OUTBOUND
    message_id = factory.Sequence(lambda n: f"<test.{n}@pixelforgebd.com>")
    from_email = "Pixel Forge <hello@pixelforgebd.com>"
    subject = factory.Sequence(lambda n: f"Email {n}")
    body_html = "<p>Hello</p>"
    body_text = "Hello\n"
    email_type = EmailType.OUTREACH
    status = EmailStatus.SENT
    sent_at = factory.LazyFunction(timezone.now)
    tracking_token = factory.LazyFunction(new_email_token)

    @factory.post_generation
    def to(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create:
            EmailRecipient.objects.create(
                email=self, address=extracted or f"reader{self.pk}@example.com"
            )
