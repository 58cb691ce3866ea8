"""The runtime database role cannot change or remove an audit event by any route.

The suite connects as the owner (SYNC_MIGRATE_DATABASE_URL under `make test`);
the tests on PostgreSQL open a second session on the test database as the
runtime role (DATABASE_URL's user), which the web, workers and beat use, and try
every way of rewriting history. Rows are committed (``transactional_db``) so
that the second session sees them.
"""

import json
import os
import re
import subprocess
import sys

import dj_database_url
import psycopg2
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from psycopg2 import errorcodes

from syncplatform.audit.models import TransactionEvent
from syncplatform.core.database_roles import (
    default_runtime_role,
    pick_database,
    runtime_privilege_statements,
)
from tests.support.processes import REPO

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="database roles are PostgreSQL's; `make test` runs the suite there",
)

EVENTS = "audit_transactionevent"
NO_PRIVILEGE = f"permission denied for table {EVENTS}"
NOT_OWNER = f"must be owner of table {EVENTS}"
TRUNCATE_REFUSED = f"{EVENTS} is append-only: TRUNCATE refused"
HARMLESS_FUNCTION = "RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql"

# Every route to rewriting the log, as the runtime role, and the error PostgreSQL gives.
RUNTIME_ROUTES = {
    "update": ("UPDATE audit_transactionevent SET message = 'rewritten'", NO_PRIVILEGE),
    "delete": ("DELETE FROM audit_transactionevent", NO_PRIVILEGE),
    "truncate": ("TRUNCATE audit_transactionevent", NO_PRIVILEGE),
    "truncate, asking the trigger to allow it": (
        "SET syncplatform.audit_truncate = 'allow'; TRUNCATE audit_transactionevent",
        NO_PRIVILEGE,
    ),
    "truncate the transactions with cascade": (
        "TRUNCATE audit_synctransaction CASCADE",
        "permission denied for table audit_synctransaction",
    ),
    "disable the trigger": (
        "ALTER TABLE audit_transactionevent DISABLE TRIGGER audit_event_no_update",
        NOT_OWNER,
    ),
    "disable every trigger": ("ALTER TABLE audit_transactionevent DISABLE TRIGGER ALL", NOT_OWNER),
    "drop the trigger": (
        "DROP TRIGGER audit_event_no_update ON audit_transactionevent",
        "must be owner of relation audit_transactionevent",
    ),
    "drop the truncate trigger": (
        "DROP TRIGGER audit_event_no_truncate ON audit_transactionevent",
        "must be owner of relation audit_transactionevent",
    ),
    # Creating in a schema is checked before ownership: PostgreSQL 15 gives PUBLIC no
    # CREATE on schema public; an older server would answer "must be owner of function".
    "replace the trigger function": (
        f"CREATE OR REPLACE FUNCTION audit_event_append_only() {HARMLESS_FUNCTION}",
        "permission denied for schema public|must be owner of function audit_event_append_only",
    ),
    "replace the truncate trigger function": (
        f"CREATE OR REPLACE FUNCTION audit_event_no_truncate() {HARMLESS_FUNCTION}",
        "permission denied for schema public|must be owner of function audit_event_no_truncate",
    ),
    "drop the trigger function": (
        "DROP FUNCTION audit_event_append_only() CASCADE",
        "must be owner of function audit_event_append_only",
    ),
    "take the table": ("ALTER TABLE audit_transactionevent OWNER TO CURRENT_USER", NOT_OWNER),
    "drop the table": ("DROP TABLE audit_transactionevent CASCADE", NOT_OWNER),
    "switch triggers off for the session": (
        "SET session_replication_role = replica",
        'permission denied to set parameter "session_replication_role"',
    ),
}


def all_events() -> list[tuple]:
    return list(
        TransactionEvent.objects.order_by("pk").values_list(
            "pk", "transaction_id", "kind", "message"
        )
    )


def runtime_database() -> dict:
    """DATABASE_URL's role, which the migrations granted to, on the suite's test database."""
    runtime = dj_database_url.parse(os.environ.get("DATABASE_URL", ""))
    assert settings.SYNC_DB_RUNTIME_ROLE, (
        "no runtime role: run under `make test` (deploy/local/postgres.sh exports DATABASE_URL "
        "for the runtime role and SYNC_MIGRATE_DATABASE_URL for the owner)"
    )
    assert runtime.get("USER") == settings.SYNC_DB_RUNTIME_ROLE != connection.settings_dict["USER"]
    return {**connection.settings_dict, "USER": runtime["USER"], "PASSWORD": runtime["PASSWORD"]}


def connect(database: dict):
    """A plain psycopg2 session (none of the suite's connection options), autocommit."""
    session = psycopg2.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"],
        port=database["PORT"],
    )
    session.autocommit = True
    return session


def refusal(session, statement: str) -> psycopg2.Error:
    with pytest.raises(psycopg2.Error) as caught, session.cursor() as cursor:
        cursor.execute(statement)
    return caught.value


@pytest.fixture
def events(transactional_db, failed_transaction, new_transaction) -> list[tuple]:
    """Committed history: a failed transaction (received, attempt, failed) and a new one."""
    failed_transaction("WEB-R1")
    new_transaction("WEB-R2")
    history = all_events()
    assert len(history) == 4
    return history


@pytest.fixture
def as_runtime(events):
    session = connect(runtime_database())
    yield session
    session.close()


@pytest.fixture
def as_owner(events):
    session = connect(connection.settings_dict)
    yield session
    session.close()


@on_postgresql
@pytest.mark.parametrize("route", RUNTIME_ROUTES)
def test_given_runtime_role_when_rewriting_events_then_refused_and_nothing_changes(
    events, as_runtime, route
):
    statement, message = RUNTIME_ROUTES[route]

    error = refusal(as_runtime, statement)

    assert error.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE, error.pgerror
    assert re.search(message, error.pgerror), error.pgerror
    assert all_events() == events


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [f"TRUNCATE {EVENTS}", "TRUNCATE audit_synctransaction CASCADE"],
    ids=["events", "transactions-cascade"],
)
def test_given_owner_when_truncating_events_then_the_statement_trigger_refuses(
    events, as_owner, statement
):
    error = refusal(as_owner, statement)

    assert error.pgcode == errorcodes.RAISE_EXCEPTION, error.pgerror
    assert TRUNCATE_REFUSED in error.pgerror
    assert all_events() == events


@on_postgresql
def test_runtime_role_owns_nothing_and_may_only_read_and_add_events(events):
    role = runtime_database()["USER"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = %s::regrole"
            " UNION ALL SELECT count(*) FROM pg_proc WHERE proowner = %s::regrole"
            " UNION ALL SELECT count(*) FROM pg_database WHERE datdba = %s::regrole",
            [role, role, role],
        )
        owned = [count for (count,) in cursor.fetchall()]
        cursor.execute(
            "SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE',"
            "'REFERENCES','TRIGGER']) AS p WHERE has_table_privilege(%s, %s, p) ORDER BY p",
            [role, EVENTS],
        )
        on_events = [privilege for (privilege,) in cursor.fetchall()]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind IN ('r', 'p') AND has_table_privilege(%s, oid, 'TRUNCATE')",
            [role],
        )
        truncatable = cursor.fetchall()
        cursor.execute(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls FROM pg_roles"
            " WHERE rolname = %s",
            [role],
        )
        (is_privileged,) = cursor.fetchone()

    assert owned == [0, 0, 0]
    assert on_events == ["INSERT", "SELECT"]
    assert truncatable == []
    assert is_privileged is False


@on_postgresql
def test_given_a_table_a_later_migration_creates_then_the_runtime_role_may_use_its_rows(
    as_owner, as_runtime
):
    with as_owner.cursor() as cursor:
        cursor.execute("CREATE TABLE later_things (id bigserial PRIMARY KEY, name text)")
    try:
        with as_runtime.cursor() as cursor:
            cursor.execute("INSERT INTO later_things (name) VALUES ('a') RETURNING id")
            (row_id,) = cursor.fetchone()
            cursor.execute("UPDATE later_things SET name = 'b' WHERE id = %s", [row_id])
            cursor.execute("DELETE FROM later_things WHERE id = %s", [row_id])
            assert cursor.rowcount == 1
        error = refusal(as_runtime, "TRUNCATE later_things")
        assert error.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
    finally:
        with as_owner.cursor() as cursor:
            cursor.execute("DROP TABLE later_things")


@pytest.fixture
def orm_as_runtime(transactional_db):
    """The ORM's default connection re-opened as the runtime role for the test's duration."""
    suite = connection.settings_dict
    connection.close()
    connection.settings_dict = runtime_database()
    yield
    connection.close()
    connection.settings_dict = suite


@on_postgresql
def test_runtime_role_does_the_normal_work_through_the_orm(
    orm_as_runtime, failed_transaction, succeeded_transaction
):
    # given / when: everything below runs as the runtime role
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (user,) = cursor.fetchone()
    failed = failed_transaction("WEB-RT1")
    succeeded = succeeded_transaction("WEB-RT2")
    failed.refresh_from_db()

    # then
    assert user == settings.SYNC_DB_RUNTIME_ROLE
    assert failed.state == "failed"
    assert [e.kind for e in failed.events.order_by("pk")] == [
        "received",
        "attempt.started",
        "failed",
    ]
    assert succeeded.events.count() == 3


# --- Which role a process connects as (no database needed) ---------------------------

RUNTIME = dj_database_url.parse("postgres://app_runtime:r@db.internal:5432/sync")
OWNER = dj_database_url.parse("postgres://app_owner:o@db.internal:5432/sync")


def test_migrate_connects_as_the_owner_and_everything_else_as_the_runtime_role():
    assert pick_database(RUNTIME, OWNER, changes_schema=True) is OWNER
    assert pick_database(RUNTIME, OWNER, changes_schema=False) is RUNTIME
    assert pick_database(RUNTIME, None, changes_schema=True) is RUNTIME


def test_given_owner_url_naming_another_database_when_migrating_then_refused():
    elsewhere = dj_database_url.parse("postgres://app_owner:o@db.internal:5432/other")

    with pytest.raises(ImproperlyConfigured, match=r"db\.internal:5432/other"):
        pick_database(RUNTIME, elsewhere, changes_schema=True)


def test_runtime_role_defaults_to_database_url_user_only_when_two_roles_are_set():
    assert default_runtime_role(RUNTIME, OWNER) == "app_runtime"
    assert default_runtime_role(RUNTIME, None) == ""
    assert default_runtime_role(RUNTIME, {**OWNER, "USER": "app_runtime"}) == ""


def test_privilege_statements_quote_names_and_leave_events_select_and_insert():
    statements = runtime_privilege_statements(
        'odd"role', schema="public", append_only_tables=(EVENTS,)
    )

    assert 'GRANT SELECT, INSERT ON "public"."audit_transactionevent" TO "odd""role"' in statements
    assert not any("TRUNCATE" in statement for statement in statements)


# Read by the settings module of a fresh interpreter (one, for every case): each case's
# command line and environment, and what it connects as.
READ_SETTINGS = """
import json, os, runpy, sys
answers = []
for argv, env in json.loads(sys.argv[1]):
    sys.argv = argv
    for name in ("DATABASE_URL", "SYNC_MIGRATE_DATABASE_URL", "SYNC_DB_RUNTIME_ROLE"):
        os.environ.pop(name, None)
    os.environ.update(env)
    read = runpy.run_module("syncplatform.settings")
    user = read["DATABASES"]["default"]["USER"]
    answers.append([user or "-", read["SYNC_DB_RUNTIME_ROLE"] or "-"])
print(json.dumps(answers))
"""
TWO_ROLES = {
    "DATABASE_URL": "postgres://app_runtime:r@db.internal:5432/sync",
    "SYNC_MIGRATE_DATABASE_URL": "postgres://app_owner:o@db.internal:5432/sync",
}


def test_settings_give_the_owner_only_to_the_schema_commands(tmp_path):
    cases = {
        "migrate": (["manage.py", "migrate", "--noinput"], TWO_ROLES),
        "grant": (["manage.py", "grant_runtime_privileges"], TWO_ROLES),
        "web": (["gunicorn", "syncplatform.wsgi"], TWO_ROLES),
        "worker": (["celery", "-A", "syncplatform", "worker"], TWO_ROLES),
        "other command": (["manage.py", "load_demo"], TWO_ROLES),
        "one role": (["manage.py", "migrate"], {"DATABASE_URL": TWO_ROLES["DATABASE_URL"]}),
        "explicit role": (["manage.py", "migrate"], {**TWO_ROLES, "SYNC_DB_RUNTIME_ROLE": "x"}),
        "sqlite default": (
            ["manage.py", "migrate"],
            {"SYNC_MIGRATE_DATABASE_URL": TWO_ROLES["SYNC_MIGRATE_DATABASE_URL"]},
        ),
    }
    child_env = {**os.environ, "SYNC_VAR_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS, json.dumps(list(cases.values()))],
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert dict(zip(cases, json.loads(result.stdout), strict=True)) == {
        "migrate": ["app_owner", "app_runtime"],
        "grant": ["app_owner", "app_runtime"],
        "web": ["app_runtime", "app_runtime"],
        "worker": ["app_runtime", "app_runtime"],
        "other command": ["app_runtime", "app_runtime"],
        "one role": ["app_runtime", "-"],
        "explicit role": ["app_owner", "x"],
        "sqlite default": ["-", "-"],
    }
