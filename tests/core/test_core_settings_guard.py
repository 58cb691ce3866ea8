"""SYNC_ENV=production refuses to start without its secrets or with DEBUG on.

Each case starts a fresh interpreter (settings are read once per process) that
runs ``django.setup()`` with the given environment.
"""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.support.processes import REPO

GUARDED = ("SYNC_ENV", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "SYNC_ENCRYPTION_KEYS")
STARTUP = "import django; django.setup(); print('started')"


def start_django(**env: str) -> subprocess.CompletedProcess:
    """``django.setup()`` in a child: our environment minus the guarded names, plus ``env``."""
    child_env = {k: v for k, v in os.environ.items() if k not in GUARDED}
    child_env |= {"DJANGO_SETTINGS_MODULE": "syncplatform.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", STARTUP],
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production(**overrides: str) -> dict:
    """A complete, valid production environment with ``overrides`` applied ("" deletes)."""
    env = {
        "SYNC_ENV": "production",
        "DJANGO_SECRET_KEY": "a-long-random-secret-for-the-guard-test-0123456789",
        "SYNC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "started" not in result.stdout
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_given_production_with_every_secret_then_it_starts():
    result = start_django(**production())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_given_production_without_secret_key_then_it_refuses_to_start():
    result = start_django(**production(DJANGO_SECRET_KEY=None))
    assert_refused(result, "SYNC_ENV=production needs DJANGO_SECRET_KEY")


@pytest.mark.parametrize("blank", ["", "   "])
def test_given_production_with_a_blank_secret_key_then_it_refuses_to_start(blank):
    result = start_django(**production(DJANGO_SECRET_KEY=blank))
    assert_refused(result, "SYNC_ENV=production needs DJANGO_SECRET_KEY")


@pytest.mark.parametrize("debug", ["1", "true", "on"])
def test_given_production_with_debug_on_then_it_refuses_to_start(debug):
    result = start_django(**production(DJANGO_DEBUG=debug))
    assert_refused(result, "SYNC_ENV=production refuses DJANGO_DEBUG=1")


def test_given_production_with_debug_off_then_it_starts():
    result = start_django(**production(DJANGO_DEBUG="0"))
    assert result.returncode == 0, result.stderr


def test_given_production_without_encryption_keys_then_it_refuses_to_start():
    result = start_django(**production(SYNC_ENCRYPTION_KEYS=None))
    assert_refused(result, "SYNC_ENV=production needs SYNC_ENCRYPTION_KEYS")


@pytest.mark.parametrize("blank", ["", " ", " , "])
def test_given_production_with_blank_encryption_keys_then_it_refuses_to_start(blank):
    result = start_django(**production(SYNC_ENCRYPTION_KEYS=blank))
    assert_refused(result, "SYNC_ENV=production needs SYNC_ENCRYPTION_KEYS")


def test_given_development_without_any_secret_then_it_starts_on_defaults():
    result = start_django()

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_given_production_through_manage_py_check_then_the_same_refusal():
    env = {k: v for k, v in os.environ.items() if k not in GUARDED}
    env |= production(SYNC_ENCRYPTION_KEYS=None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "SYNC_ENV=production needs SYNC_ENCRYPTION_KEYS" in result.stderr


def test_commands_run_by_hand_use_the_database_make_run_uses():
    """The README's `manage.py import_mappings` reaches the demo's database (issue 14)."""
    child_env = {
        k: v
        for k, v in os.environ.items()
        if k not in (*GUARDED, "DATABASE_URL", "SYNC_MIGRATE_DATABASE_URL", "SYNC_VAR_DIR")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['NAME'])",
        ],
        cwd=REPO,
        env={**child_env, "DJANGO_SETTINGS_MODULE": "syncplatform.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    run_sh = (REPO / "deploy" / "embedded" / "run.sh").read_text()

    assert result.stdout.strip() == str(REPO / "var" / "embedded" / "db.sqlite3")
    assert 'SYNC_VAR_DIR="${SYNC_VAR_DIR:-$PWD/var/embedded}"' in run_sh
