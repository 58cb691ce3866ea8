"""Production behind a TLS proxy passes Django's deploy checks; admin logins are throttled.

The throttle counts failures per user name and per address (django-axes):
guessing one user's password from many addresses, or many users' passwords
from one address, both stop after SYNC_LOGIN_FAILURE_LIMIT tries.
"""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.support.processes import REPO

LOGIN = "/admin/login/?next=/admin/"


def manage(*argv: str, **env: str) -> subprocess.CompletedProcess:
    child = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=REPO,
        env={**child, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_behind_a_tls_proxy_passes_the_deploy_checks_without_a_warning():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SYNC_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        SYNC_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="erp.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_the_proxy_the_deploy_checks_name_what_is_missing():
    result = manage(
        "check",
        "--deploy",
        SYNC_ENV="production",
        SYNC_BEHIND_TLS_PROXY="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        SYNC_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="erp.example.com",
    )

    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


@override_settings(SYNC_BEHIND_TLS_PROXY=False, AXES_FAILURE_LIMIT=3)
@pytest.mark.django_db
def test_after_three_wrong_passwords_for_one_user_even_the_right_one_is_refused():
    User.objects.create_superuser("ops-lead", password="the-right-password-1")
    browser = Client(REMOTE_ADDR="198.51.100.7")

    answers = [
        browser.post(LOGIN, {"username": "ops-lead", "password": f"guess-{n}"}).status_code
        for n in range(3)
    ]
    locked = browser.post(LOGIN, {"username": "ops-lead", "password": "the-right-password-1"})
    elsewhere = Client(REMOTE_ADDR="203.0.113.9").post(
        LOGIN, {"username": "ops-lead", "password": "the-right-password-1"}
    )

    assert answers == [200, 200, 429]  # the login form again, then the lockout
    assert locked.status_code == 429
    assert elsewhere.status_code == 429  # per user: another address does not help
    assert "_auth_user_id" not in browser.session


@override_settings(SYNC_BEHIND_TLS_PROXY=False, AXES_FAILURE_LIMIT=3)
@pytest.mark.django_db
def test_three_failures_from_one_address_lock_that_address_for_every_user():
    User.objects.create_superuser("finance-lead", password="finance-password-1")
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for name in ("alice", "bob", "carol"):
        attacker.post(LOGIN, {"username": name, "password": "password"})

    refused = attacker.post(LOGIN, {"username": "finance-lead", "password": "finance-password-1"})
    colleague = Client(REMOTE_ADDR="192.0.2.10").post(
        LOGIN, {"username": "finance-lead", "password": "finance-password-1"}
    )

    assert refused.status_code == 429
    assert colleague.status_code == 302  # logged in: the lock is on the address


@override_settings(SYNC_BEHIND_TLS_PROXY=True, AXES_FAILURE_LIMIT=3, SECURE_SSL_REDIRECT=False)
@pytest.mark.django_db
def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended():
    attacker = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    for n in range(3):
        attacker.post(
            LOGIN,
            {"username": f"user{n}", "password": "x"},
            # the client claims 192.0.2.1; the proxy appends what it saw
            HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.99",
        )
    User.objects.create_superuser("someone", password="someone-password-1")

    colleague = Client(REMOTE_ADDR="10.0.0.2").post(
        LOGIN,
        {"username": "someone", "password": "someone-password-1"},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    attacker_again = attacker.post(
        LOGIN,
        {"username": "someone", "password": "someone-password-1"},
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.99",
    )

    assert colleague.status_code == 302  # same proxy, another client: not locked
    assert attacker_again.status_code == 429
