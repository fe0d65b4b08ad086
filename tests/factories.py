"""factory_boy factories for the CRM's rows; users get a role (a Django group)."""

import functools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from forgecrm.clients.models import (
    Client,
    ClientEmail,
    ClientPhone,
    ContactEmail,
    ContactPerson,
    ContactPhone,
)
from forgecrm.clients.services import refresh_search_text

TEST_PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once."""
    return make_password(TEST_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@pixelforgebd.com")
    first_name = factory.Faker("first_name")
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Company {n} Ltd")
    industry = "Software"
    status = "active"
    tier = "silver"
    timezone = "Asia/Dhaka"

    @factory.post_generation
    def index(self, create: bool, extracted, **kwargs) -> None:
        if create:
            refresh_search_text(self)


class ClientEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientEmail

    client = factory.SubFactory(ClientFactory)
    email = factory.Sequence(lambda n: f"info{n}@example.com")
    is_primary = True


class ClientPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientPhone

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"+8801711{n:06d}")
    kind = "office"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = "decision_maker"

    @factory.post_generation
    def index(self, create: bool, extracted, **kwargs) -> None:
        if create:
            refresh_search_text(self.client)


class ContactEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactEmail

    contact = factory.SubFactory(ContactFactory)
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    is_primary = True


class ContactPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPhone

    contact = factory.SubFactory(ContactFactory)
    number = factory.Sequence(lambda n: f"+8801811{n:06d}")
    kind = "mobile"
