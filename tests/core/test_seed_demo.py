"""`manage.py seed_demo`: the demo admin, the demo data, and running it again."""

import io
import re

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.urls import reverse

from forgecrm.accounts.roles import ADMIN
from forgecrm.clients.models import (
    Client,
    ClientPhone,
    ContactPerson,
    ContactPhone,
    Project,
    Subscription,
)
from forgecrm.sales.models import Deal, Lead

PASSWORD_LINE = re.compile(r"Password:\s+(\S+)")
BENGALI = re.compile(r"[\u0980-\u09FF]")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def first_output(db, debug) -> str:
    return seed()


def test_creates_admin_whose_printed_password_signs_in(first_output):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.groups.filter(name=ADMIN).exists()
    password = PASSWORD_LINE.search(first_output)[1]
    response = HttpClient().post(
        reverse("accounts:login"), {"username": "admin", "password": password}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user == admin


def test_demo_data_is_varied_and_bilingual(first_output):
    assert 45 <= Client.objects.count() <= 55
    assert 140 <= ContactPerson.objects.count() <= 160
    names = [f"{c.first_name} {c.last_name}" for c in ContactPerson.objects.all()]
    assert any(BENGALI.search(n) for n in names)
    assert any(re.fullmatch(r"[A-Za-z' .-]+", n) for n in names)
    assert any(BENGALI.search(name) for name in Client.objects.values_list("name", flat=True))
    statuses = set(Client.objects.values_list("status", flat=True))
    assert statuses == {"prospect", "active", "inactive", "former", "blacklisted"}
    timezones = set(Client.objects.values_list("timezone", flat=True))
    assert {"Asia/Dhaka", "America/New_York", "Europe/London"} <= timezones
    assert len(set(Client.objects.values_list("industry", flat=True))) >= 8
    assert Project.objects.exists() and Subscription.objects.exists()
    assert Deal.objects.exists() and Lead.objects.exists()


def test_every_contact_has_a_role_email_and_phone(first_output):
    contacts = ContactPerson.objects.prefetch_related("email_addresses", "phones")
    for contact in contacts:
        assert contact.role and contact.job_title
        assert 1 <= len(contact.email_addresses.all()) <= 2
        assert 1 <= len(contact.phones.all()) <= 3
    assert contacts.filter(birthday__isnull=False).exists()


def test_all_phones_are_valid_e164(first_output):
    numbers = [
        *ContactPhone.objects.values_list("number", flat=True),
        *ClientPhone.objects.values_list("number", flat=True),
    ]
    assert numbers
    for number in numbers:
        assert re.fullmatch(r"\+[1-9]\d{7,14}", number.as_e164), number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.as_e164)), number


def test_search_column_is_filled_by_the_services(first_output):
    contact = ContactPerson.objects.prefetch_related("email_addresses").first()
    email = contact.email_addresses.all()[0].email
    assert email in contact.search_text
    assert email in contact.client.search_text


def test_running_again_changes_nothing(first_output):
    counts = (Client.all_objects.count(), ContactPerson.all_objects.count(), Deal.objects.count())
    password_hash = get_user_model().objects.get(username="admin").password

    second_output = seed()

    assert "already exists" in second_output
    assert "changepassword admin" in second_output
    assert not PASSWORD_LINE.search(second_output)
    assert "skipped" in second_output
    assert (
        Client.all_objects.count(),
        ContactPerson.all_objects.count(),
        Deal.objects.count(),
    ) == counts
    assert get_user_model().objects.get(username="admin").password == password_hash


def test_refuses_to_run_without_debug(db):
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not get_user_model().objects.filter(username="admin").exists()
