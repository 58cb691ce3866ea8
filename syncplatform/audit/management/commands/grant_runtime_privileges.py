from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from syncplatform.audit.models import TransactionEvent
from syncplatform.core.database_roles import grant_runtime_privileges


class Command(BaseCommand):
    help = (
        "Leave the runtime role (SYNC_DB_RUNTIME_ROLE, by default DATABASE_URL's user) with row "
        "privileges on every table and sequence and only SELECT and INSERT on the audit events, "
        "as audit migration 0004 does; prints the SQL it ran. Connects as the owner "
        "(SYNC_MIGRATE_DATABASE_URL). For a database migrated before the runtime role existed; "
        "safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", default="", help="the runtime role (default: SYNC_DB_RUNTIME_ROLE)"
        )

    def handle(self, *args, role: str, **options):
        role = role or settings.SYNC_DB_RUNTIME_ROLE
        if connection.vendor != "postgresql":
            raise CommandError("database roles need PostgreSQL; the SQLite default has none")
        if not role:
            raise CommandError(
                "no runtime role: set SYNC_MIGRATE_DATABASE_URL to the owner and DATABASE_URL "
                "to the runtime role, or pass --role"
            )
        try:
            with transaction.atomic():
                statements = grant_runtime_privileges(
                    connection, role, append_only_tables=(TransactionEvent._meta.db_table,)
                )
        except (ImproperlyConfigured, DatabaseError) as error:
            raise CommandError(str(error).strip()) from None
        for statement in statements:
            self.stdout.write(f"{statement};")
