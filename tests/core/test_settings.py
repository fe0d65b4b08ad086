"""Settings come from the environment and fail loudly on bad values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    test_only = {
        "DEBUG",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "STATIC_MANIFEST",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' Playwright fixture
    }
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_debug_off():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"DEBUG": "true", "DATABASE_URL": "nosuchdb://x"}, "nosuchdb"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_reason(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_passwords_are_hashed_with_argon2(django_user_model, db):
    user = django_user_model.objects.create_user("hashme", password="a long passphrase here")
    assert user.password.startswith("argon2")
