"""Signing in and out, the login rate limit, user settings and personal API tokens."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from forgecrm.accounts.models import ApiToken
from forgecrm.accounts.tokens import api_token_create
from tests.factories import TEST_PASSWORD, UserFactory

LOGIN = "/accounts/login/"
CLIENTS_API = "/api/admin/crm/clients"


@pytest.mark.django_db
def test_signing_in_with_the_right_password_opens_the_dashboard(client, member):
    response = client.post(LOGIN, {"username": member.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(client, member):
    response = client.post(LOGIN, {"username": member.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_even_for_the_right_password(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": member.username, "password": "guess"})
    response = client.post(LOGIN, {"username": member.username, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


@pytest.mark.django_db
def test_behind_a_proxy_someone_elses_failures_do_not_lock_you_out(client, member, settings):
    """Every request comes from the proxy's address; the proxy appends the client's."""
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": member.username, "password": "guess"}, **attacker)
    blocked = client.post(
        LOGIN, {"username": member.username, "password": TEST_PASSWORD}, **attacker
    )
    assert blocked.status_code == 429

    you = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}  # a forged first hop
    response = client.post(LOGIN, {"username": member.username, "password": TEST_PASSWORD}, **you)
    assert response.status_code == 302


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(rf, settings):
    from forgecrm.core.addresses import client_ip

    settings.TRUSTED_PROXIES = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"  # a local check


@pytest.mark.django_db
def test_signing_out_ends_the_session(client, member):
    client.force_login(member)
    client.post(reverse("accounts:logout"))
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_a_token_is_shown_once_and_only_its_hash_is_stored(member_client, member):
    response = member_client.post(
        reverse("accounts:settings"), {"action": "token", "name": "Reporting script"}
    )
    page = response.content.decode()
    token = ApiToken.objects.get(user=member)
    raw = page.split('data-testid="new-token">')[1].split("<")[0]
    assert raw.startswith("fcrm_")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.token_hash, token.prefix, token.name}

    again = member_client.get(reverse("accounts:settings")).content.decode()
    assert "Reporting script" in again
    assert raw not in again


@pytest.mark.django_db
def test_a_revoked_token_no_longer_opens_the_api(member_client, member, client):
    token, raw = api_token_create(user=member, name="old script")
    assert client.get(CLIENTS_API, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    member_client.post(reverse("accounts:token-revoke", args=[token.pk]))

    assert client.get(CLIENTS_API, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert "revoked" in member_client.get(reverse("accounts:settings")).content.decode()


@pytest.mark.django_db
def test_nobody_can_revoke_someone_elses_token(member_client, viewer):
    other = ApiToken.objects.create(user=viewer, name="v", prefix="fcrm_x", token_hash="h" * 64)
    response = member_client.post(reverse("accounts:token-revoke", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


@pytest.mark.django_db
def test_create_api_token_command_prints_a_working_token(member, client, capsys):
    call_command("create_api_token", member.username, name="cron")
    raw = capsys.readouterr().out.strip()
    assert ApiToken.objects.filter(user=member, name="cron").exists()
    response = client.get(CLIENTS_API, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_create_api_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No active user named 'ghost'"):
        call_command("create_api_token", "ghost")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "shown"), [("America/New_York", "07:00"), ("Asia/Dhaka", "18:00")]
)
def test_times_are_shown_in_the_users_own_time_zone(member_client, member, zone, shown):
    token, _ = api_token_create(user=member, name="clock")
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    )
    member_client.post(reverse("accounts:settings"), {"action": "profile", "timezone": zone})

    page = member_client.get(reverse("accounts:settings")).content.decode()

    assert f"5 Jan 2026 {shown}" in page


@pytest.mark.django_db
def test_an_unknown_time_zone_is_refused(member_client, member):
    response = member_client.post(
        reverse("accounts:settings"), {"action": "profile", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_user_factory_users_have_the_shared_password(db):
    assert UserFactory().check_password(TEST_PASSWORD)
