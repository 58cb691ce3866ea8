"""The sandbox ERP's own SQLite store: its sales orders, their deliveries, its fault injection.

One file shared by every gunicorn worker process and thread. WAL mode lets
readers run beside the single writer; each thread of each process keeps its own
connection (SQLite connections must not cross a fork or be shared by threads).
The UNIQUE constraint on ``external_reference`` is what refuses a duplicate,
so two concurrent creates with one reference store exactly one document.

Every sales order gets its outbound delivery in the same transaction, as SAP's
immediate delivery does. The IDoc tables are here too (one schema, one file);
:mod:`connectors.erp.sandbox.idoc_store` reads and writes them.
"""

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
FIRST_DOCUMENT_NUMBER = 10000
"""Document numbers are 10 digits and start at 0000010000, like an SAP number range."""
FIRST_DELIVERY_NUMBER = 80000000
"""Deliveries are numbered from 0080000000, SAP's usual outbound delivery range."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales_order (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_reference TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    sold_to TEXT NOT NULL,
    currency TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    net_amount TEXT NOT NULL,
    request_xml BLOB NOT NULL,
    total_net_amount TEXT,
    total_tax_amount TEXT
);
CREATE TABLE IF NOT EXISTS price_difference (
    material TEXT PRIMARY KEY,
    amount TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fault_injection (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    latency_ms INTEGER NOT NULL DEFAULT 0,
    fault_rate REAL NOT NULL DEFAULT 0,
    outage INTEGER NOT NULL DEFAULT 0,
    timeout_after_commit_ms INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO fault_injection (id) VALUES (1);
CREATE TABLE IF NOT EXISTS delivery (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sales_order_id INTEGER NOT NULL UNIQUE REFERENCES sales_order (id),
    goods_issued_at TEXT,
    material_document TEXT,
    picked_json TEXT
);
CREATE TABLE IF NOT EXISTS idoc_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT UNIQUE,
    body_sha256 TEXT NOT NULL,
    transport TEXT NOT NULL,
    received_at TEXT NOT NULL,
    process_after TEXT NOT NULL,
    claimed_until TEXT,
    processed_at TEXT,
    package BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS idoc_message_due ON idoc_message (processed_at, process_after);
CREATE TABLE IF NOT EXISTS idoc (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_pk INTEGER REFERENCES idoc_message (id),
    position INTEGER,
    direction TEXT NOT NULL,
    idoc_type TEXT NOT NULL,
    message_type TEXT NOT NULL,
    sender_docnum TEXT NOT NULL,
    status TEXT NOT NULL,
    status_text TEXT NOT NULL,
    status_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idoc_by_message ON idoc (message_pk, position);
CREATE TABLE IF NOT EXISTS idoc_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idoc_id INTEGER NOT NULL REFERENCES idoc (id),
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idoc_status_by_idoc ON idoc_status (idoc_id);
CREATE TABLE IF NOT EXISTS stock (
    material TEXT NOT NULL,
    plant TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit TEXT NOT NULL,
    PRIMARY KEY (material, plant)
);
CREATE TABLE IF NOT EXISTS material_document (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idoc_id INTEGER NOT NULL REFERENCES idoc (id),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS billing_document (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL UNIQUE REFERENCES delivery (id),
    idoc_id INTEGER NOT NULL REFERENCES idoc (id),
    created_at TEXT NOT NULL,
    net_amount TEXT NOT NULL,
    tax_amount TEXT NOT NULL,
    total_due TEXT NOT NULL,
    currency TEXT NOT NULL,
    push_state TEXT NOT NULL,
    push_due_at TEXT NOT NULL,
    push_attempts INTEGER NOT NULL DEFAULT 0,
    push_claimed_until TEXT,
    pushed_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    idoc_xml BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS billing_push_due ON billing_document (push_state, push_due_at);
CREATE TABLE IF NOT EXISTS idoc_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    processing_delay_ms INTEGER NOT NULL DEFAULT 0,
    invoice_delay_ms INTEGER NOT NULL DEFAULT 1000,
    invoice_push_url TEXT NOT NULL DEFAULT '',
    invoice_push_username TEXT NOT NULL DEFAULT '',
    invoice_push_password TEXT NOT NULL DEFAULT '',
    invoice_push_api_key_header TEXT NOT NULL DEFAULT 'X-API-Key',
    invoice_push_api_key TEXT NOT NULL DEFAULT '',
    invoice_push_attempts INTEGER NOT NULL DEFAULT 5,
    invoice_retry_delay_ms INTEGER NOT NULL DEFAULT 2000
);
INSERT OR IGNORE INTO idoc_settings (id) VALUES (1);
"""

SALES_ORDER_COLUMNS = (
    "sales_order.id, external_reference, created_at, sold_to, currency, item_count, net_amount,"
    " delivery.id, total_net_amount, total_tax_amount"
)
# Columns added after the first release: a store file made before gets them on open.
ADDED_COLUMNS = {"sales_order": ("total_net_amount TEXT", "total_tax_amount TEXT")}
SALES_ORDER_FROM = "sales_order LEFT JOIN delivery ON delivery.sales_order_id = sales_order.id"


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
    delivery_number: str = ""
    """The outbound delivery created with the order ("" for orders stored before deliveries)."""
    total_net_amount: Decimal | None = None
    """SAP's TotalNetAmount: items at the ERP's prices less discounts, plus shipping; no tax.
    None for orders stored before the sandbox priced them."""
    total_tax_amount: Decimal | None = None
    """SAP's TotalTaxAmount: the items' tax. None like ``total_net_amount``."""

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "created_at": self.created_at.isoformat(),
            "net_amount": format(self.net_amount, "f"),
            "total_net_amount": _text_or_none(self.total_net_amount),
            "total_tax_amount": _text_or_none(self.total_tax_amount),
        }


def _text_or_none(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def _decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


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


def delivery_number_for(row_id: int) -> str:
    return f"{FIRST_DELIVERY_NUMBER + row_id - 1:010d}"


def delivery_id_for(delivery_number: str) -> int | None:
    """The row id of a delivery number (SAP's ALPHA form: leading zeros may be left out)."""
    if not delivery_number.isascii() or not delivery_number.isdigit() or len(delivery_number) > 10:
        return None
    row_id = int(delivery_number) - FIRST_DELIVERY_NUMBER + 1
    return row_id if row_id > 0 else None


def _stored_sales_order(row: tuple) -> StoredSalesOrder:
    row_id, reference, created_at, sold_to, currency, item_count, net_amount, delivery_id = row[:8]
    total_net_amount, total_tax_amount = row[8:]
    return StoredSalesOrder(
        document_number=document_number_for(row_id),
        external_reference=reference,
        created_at=datetime.fromisoformat(created_at),
        sold_to=sold_to,
        currency=currency,
        item_count=item_count,
        net_amount=Decimal(net_amount),
        delivery_number="" if delivery_id is None else delivery_number_for(delivery_id),
        total_net_amount=_decimal_or_none(total_net_amount),
        total_tax_amount=_decimal_or_none(total_tax_amount),
    )


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


class SandboxStore:
    """Sales orders and fault injection in one SQLite file; safe across processes and threads."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._local = threading.local()
        with sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            _add_missing_columns(connection)
        connection.close()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode (use ``transaction`` to group writes)."""
        return self._connection()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock from the start, so reads inside
        see what no other writer can change before the commit. Rolled back on any error."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

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
        total_net_amount: Decimal | None = None,
        total_tax_amount: Decimal | None = None,
    ) -> StoredSalesOrder:
        """Store a new document and its delivery; raise DuplicateExternalReference if the
        reference is taken."""
        created_at = datetime.now(UTC).isoformat(timespec="microseconds")
        try:
            with self.transaction() as connection:
                row_id = connection.execute(
                    "INSERT INTO sales_order (external_reference, created_at, sold_to, currency,"
                    " item_count, net_amount, request_xml, total_net_amount, total_tax_amount)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        external_reference,
                        created_at,
                        sold_to,
                        currency,
                        item_count,
                        format(net_amount, "f"),
                        request_xml,
                        _text_or_none(total_net_amount),
                        _text_or_none(total_tax_amount),
                    ),
                ).lastrowid
                delivery_id = connection.execute(
                    "INSERT INTO delivery (sales_order_id) VALUES (?)", (row_id,)
                ).lastrowid
        except sqlite3.IntegrityError:
            existing = self.find_sales_order(external_reference)
            if existing is None:  # the constraint fired, so the row is there: never expected
                raise
            raise DuplicateExternalReference(existing) from None
        return _stored_sales_order(
            (
                row_id,
                external_reference,
                created_at,
                sold_to,
                currency,
                item_count,
                format(net_amount, "f"),
                delivery_id,
                _text_or_none(total_net_amount),
                _text_or_none(total_tax_amount),
            )
        )

    def find_sales_order(self, external_reference: str) -> StoredSalesOrder | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {SALES_ORDER_COLUMNS} FROM {SALES_ORDER_FROM}"  # noqa: S608
                " WHERE external_reference = ?",
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
                f"SELECT {SALES_ORDER_COLUMNS} FROM {SALES_ORDER_FROM}"  # noqa: S608
                " ORDER BY sales_order.id DESC LIMIT ?",
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

    def price_differences(self) -> dict[str, Decimal]:
        """Per material, what the ERP's price of one unit differs from the price it is sent."""
        rows = self._connection().execute("SELECT material, amount FROM price_difference")
        return {material: Decimal(amount) for material, amount in rows}

    def update_price_differences(self, differences: dict[str, Decimal]) -> None:
        """Set each material's difference; a difference of zero removes the material's."""
        with self.transaction() as connection:
            for material, amount in differences.items():
                if amount:
                    connection.execute(
                        "INSERT INTO price_difference (material, amount) VALUES (?, ?)"
                        " ON CONFLICT (material) DO UPDATE SET amount = excluded.amount",
                        (material, format(amount, "f")),
                    )
                else:
                    connection.execute(
                        "DELETE FROM price_difference WHERE material = ?", (material,)
                    )
