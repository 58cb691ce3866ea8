"""Two PostgreSQL roles: the owner changes the schema, the runtime role only reads and writes rows.

The owner (``SYNC_MIGRATE_DATABASE_URL``) owns the database and every table, and
only the processes that change the schema connect as it: ``manage.py migrate``,
``manage.py grant_runtime_privileges`` and the test suite. The web, workers and
beat connect as the runtime role (``DATABASE_URL``), which owns nothing: it may
read, insert, update and delete rows, but on the append-only tables only read
and insert, and it holds TRUNCATE nowhere. Owning nothing, it can neither
disable, drop nor replace the triggers that guard the audit log.

Without ``SYNC_MIGRATE_DATABASE_URL`` (SQLite, a development database) one role
does everything and nothing is granted or revoked.

Settings import this module: nothing here may import models.
"""

from django.core.exceptions import ImproperlyConfigured

SCHEMA_COMMANDS = frozenset({"migrate", "grant_runtime_privileges"})

ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT, UPDATE"
# The migration history is the owner's; the runtime role only reads it (/readyz).
READ_ONLY_TABLES = ("django_migrations",)


def is_schema_command(argv: list[str]) -> bool:
    """True for ``manage.py <command>`` where the command changes the schema or privileges."""
    return len(argv) > 1 and argv[1] in SCHEMA_COMMANDS


def _location(database: dict) -> str:
    return f"{database['HOST']}:{database['PORT']}/{database['NAME']}"


def pick_database(runtime: dict, owner: dict | None, *, changes_schema: bool) -> dict:
    """The connection settings of this process: the owner's when it changes the schema.

    Refuses an owner URL that names another database than the runtime's: a
    migrate must change the database the services use, never a neighbour.
    """
    if owner is None or not changes_schema:
        return runtime
    if _location(owner) != _location(runtime):
        raise ImproperlyConfigured(
            "SYNC_MIGRATE_DATABASE_URL must name DATABASE_URL's database with another role: "
            f"it names {_location(owner)}, DATABASE_URL {_location(runtime)}"
        )
    return owner


def default_runtime_role(runtime: dict, owner: dict | None) -> str:
    """DATABASE_URL's user when the owner is another role; empty for a single-role set-up."""
    if owner is None or owner["USER"] == runtime["USER"]:
        return ""
    return runtime["USER"]


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def runtime_privilege_statements(
    role: str, *, schema: str, append_only_tables: tuple[str, ...]
) -> list[str]:
    """SQL, run as the owner, that leaves ``role`` with row privileges only. Idempotent.

    Tables and sequences that later migrations create get the same through the
    owner's default privileges; ``append_only_tables`` get SELECT and INSERT only.
    """
    role, schema = quote_identifier(role), quote_identifier(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT {ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {ROW_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}"
        f" GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {role}",
    ]
    for table in READ_ONLY_TABLES:
        statements.append(f"REVOKE ALL ON {schema}.{quote_identifier(table)} FROM {role}")
        statements.append(f"GRANT SELECT ON {schema}.{quote_identifier(table)} TO {role}")
    for table in append_only_tables:
        statements.append(f"REVOKE ALL ON {schema}.{quote_identifier(table)} FROM {role}")
        statements.append(f"GRANT SELECT, INSERT ON {schema}.{quote_identifier(table)} TO {role}")
    return statements


def grant_runtime_privileges(
    connection, role: str, *, append_only_tables: tuple[str, ...]
) -> list[str]:
    """Run :func:`runtime_privilege_statements` on ``connection`` (the owner's); the SQL run.

    Refuses a role that is the connection's own: the owner cannot be its own runtime role.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        if role == owner:
            raise ImproperlyConfigured(
                f"the runtime role {role!r} is the role running the migrations; "
                "set DATABASE_URL to another role (or leave SYNC_DB_RUNTIME_ROLE empty)"
            )
        statements = runtime_privilege_statements(
            role, schema=schema, append_only_tables=append_only_tables
        )
        for statement in statements:
            cursor.execute(statement)
    return statements
