"""The sandbox ERP's own SQLite store: its sales orders and its fault injection.

One file shared by every gunicorn worker process and thread. WAL mode lets
readers run beside the single writer; each thread of each process keeps its own
connection (SQLite connections must not cross a fork or be shared by threads).
The UNIQUE constraint on ``external_reference`` is what refuses a duplicate,
so two concurrent creates with one reference store exactly one document.
"""

import os
import sqlite3
import threading
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
FIRST_DOCUMENT_NUMBER = 10000
"""Document numbers are 10 digits and start at 0000010000, like an SAP number range."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales_order (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_reference TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    sold_to TEXT NOT NULL,
    currency TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    net_amount TEXT NOT NULL,
    request_xml BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS fault_injection (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    latency_ms INTEGER NOT NULL DEFAULT 0,
    fault_rate REAL NOT NULL DEFAULT 0,
    outage INTEGER NOT NULL DEFAULT 0,
    timeout_after_commit_ms INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO fault_injection (id) VALUES (1);
"""

SALES_ORDER_COLUMNS = (
    "id, external_reference, created_at, sold_to, currency, item_count, net_amount"
)


@dataclass(frozen=True)
class StoredSalesOrder:
    """A sales order as the sandbox ERP keeps it."""

    document_number: str
    external_reference: str
    created_at: datetime
    sold_to: str
    currency: str
    item_count: int
    net_amount: Decimal

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "created_at": self.created_at.isoformat(),
            "net_amount": format(self.net_amount, "f"),
        }


@dataclass(frozen=True)
class FaultInjection:
    """How the sandbox misbehaves; see ``POST /_sandbox/config``."""

    latency_ms: int = 0
    fault_rate: float = 0.0
    outage: bool = False
    timeout_after_commit_ms: int = 0


FAULT_INJECTION_FIELDS = frozenset(field.name for field in fields(FaultInjection))


class DuplicateExternalReference(Exception):
    """The reference already names ``existing``; nothing was stored."""

    def __init__(self, existing: StoredSalesOrder):
        super().__init__(existing.external_reference)
        self.existing = existing


def document_number_for(row_id: int) -> str:
    return f"{FIRST_DOCUMENT_NUMBER + row_id - 1:010d}"


def _stored_sales_order(row: tuple) -> StoredSalesOrder:
    row_id, reference, created_at, sold_to, currency, item_count, net_amount = row
    return StoredSalesOrder(
        document_number=document_number_for(row_id),
        external_reference=reference,
        created_at=datetime.fromisoformat(created_at),
        sold_to=sold_to,
        currency=currency,
        item_count=item_count,
        net_amount=Decimal(net_amount),
    )


class SandboxStore:
    """Sales orders and fault injection in one SQLite file; safe across processes and threads."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._local = threading.local()
        with sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        connection.close()

    def _connection(self) -> sqlite3.Connection:
        # Keyed by pid too: a connection inherited through fork must not be reused.
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def insert_sales_order(
        self,
        *,
        external_reference: str,
        sold_to: str,
        currency: str,
        item_count: int,
        net_amount: Decimal,
        request_xml: bytes,
    ) -> StoredSalesOrder:
        """Store a new document; raise DuplicateExternalReference if the reference is taken."""
        created_at = datetime.now(UTC).isoformat(timespec="microseconds")
        connection = self._connection()
        try:
            cursor = connection.execute(
                "INSERT INTO sales_order (external_reference, created_at, sold_to, currency,"
                " item_count, net_amount, request_xml) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    external_reference,
                    created_at,
                    sold_to,
                    currency,
                    item_count,
                    format(net_amount, "f"),
                    request_xml,
                ),
            )
        except sqlite3.IntegrityError:
            existing = self.find_sales_order(external_reference)
            if existing is None:  # the constraint fired, so the row is there: never expected
                raise
            raise DuplicateExternalReference(existing) from None
        return _stored_sales_order(
            (
                cursor.lastrowid,
                external_reference,
                created_at,
                sold_to,
                currency,
                item_count,
                format(net_amount, "f"),
            )
        )

    def find_sales_order(self, external_reference: str) -> StoredSalesOrder | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {SALES_ORDER_COLUMNS} FROM sales_order WHERE external_reference = ?",  # noqa: S608
                (external_reference,),
            )
            .fetchone()
        )
        return None if row is None else _stored_sales_order(row)

    def list_sales_orders(self, limit: int = 1000) -> list[StoredSalesOrder]:
        """The newest ``limit`` documents, newest first."""
        rows = (
            self._connection()
            .execute(
                f"SELECT {SALES_ORDER_COLUMNS} FROM sales_order ORDER BY id DESC LIMIT ?",  # noqa: S608
                (limit,),
            )
            .fetchall()
        )
        return [_stored_sales_order(row) for row in rows]

    def fault_injection(self) -> FaultInjection:
        """The current settings, read from the file on every call (about 10 µs)."""
        latency_ms, fault_rate, outage, timeout_after_commit_ms = (
            self._connection()
            .execute(
                "SELECT latency_ms, fault_rate, outage, timeout_after_commit_ms"
                " FROM fault_injection WHERE id = 1"
            )
            .fetchone()
        )
        return FaultInjection(latency_ms, fault_rate, bool(outage), timeout_after_commit_ms)

    def update_fault_injection(self, **changes) -> FaultInjection:
        """Set the given fields (already validated) in one statement; return the new settings.

        Only the named columns are written, so two concurrent partial updates
        of different fields both take effect.
        """
        columns = [name for name in changes if name in FAULT_INJECTION_FIELDS]
        if columns:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            self._connection().execute(
                f"UPDATE fault_injection SET {assignments} WHERE id = 1",  # noqa: S608
                [changes[name] for name in columns],
            )
        return self.fault_injection()
