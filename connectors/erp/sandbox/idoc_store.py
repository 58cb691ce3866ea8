"""The sandbox ERP's IDoc books: received packages, IDocs and their statuses, stock,
billing documents and their pushes, and the settings of IDoc processing.

Tables are in :mod:`connectors.erp.sandbox.store`'s schema (one SQLite file);
values and numbering in :mod:`connectors.erp.sandbox.idoc_records`; what one
posting reads and writes in :mod:`connectors.erp.sandbox.books`.

What keeps it right under several processes:

* a message id is UNIQUE, and a package is stored with its IDocs and their
  first statuses (50, 64) in one ``BEGIN IMMEDIATE`` transaction, so a repeated
  id finds the whole earlier receipt or nothing;
* a package is taken for processing by one UPDATE that sets a lease
  (``claim_due_message``); a processor that dies leaves the lease to expire;
* an IDoc is posted in one transaction that first checks it is still at 64
  (:meth:`IdocStore.posting`), so two processors never post it twice;
* a delivery's billing document is UNIQUE per delivery; a push is taken
  under a lease too (``claim_due_push``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from connectors.erp.idoc_service import STATUS_DESCRIPTIONS, IdocStatusCode
from connectors.erp.sandbox.books import Books, set_status, upsert_stock
from connectors.erp.sandbox.idoc_records import (
    IDOC_SETTINGS_FIELDS,
    INBOUND,
    AssignedIdoc,
    ClaimedMessage,
    DuePush,
    IdocReceipt,
    IdocSettings,
    MessageIdReused,
    ReceivedIdoc,
    StatusRecord,
    StockLevel,
    StoredIdoc,
    billing_number_for,
    docnum_for,
    idoc_id_for,
    now,
    timestamp,
)
from connectors.erp.sandbox.store import SandboxStore, delivery_number_for

QUERY_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def _chunks(values: list, size: int = QUERY_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class IdocStore:
    """IDoc packages, statuses, stock and billing in the sandbox's SQLite file."""

    def __init__(self, store: SandboxStore):
        self.store = store

    # -- settings ----------------------------------------------------------

    def settings(self) -> IdocSettings:
        columns = ", ".join(IDOC_SETTINGS_FIELDS)
        row = (
            self.store.connection()
            .execute(f"SELECT {columns} FROM idoc_settings WHERE id = 1")  # noqa: S608
            .fetchone()
        )
        return IdocSettings(*row)

    def update_settings(self, **changes) -> IdocSettings:
        """Set the given fields (already validated); return the new settings."""
        columns = [name for name in changes if name in IDOC_SETTINGS_FIELDS]
        if columns:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            self.store.connection().execute(
                f"UPDATE idoc_settings SET {assignments} WHERE id = 1",  # noqa: S608
                [changes[name] for name in columns],
            )
        return self.settings()

    # -- receiving ---------------------------------------------------------

    def receive(
        self,
        *,
        message_id: str | None,
        body_sha256: str,
        transport: str,
        package: bytes,
        idocs: list[ReceivedIdoc],
        processing_delay: timedelta,
    ) -> IdocReceipt:
        """Store a package and give its IDocs their numbers (statuses 50, then 64).

        A message id seen before with the same ``body_sha256`` returns the
        earlier receipt (``is_duplicate``) and stores nothing; with other bytes
        it raises MessageIdReused.
        """
        received_at = now()
        moment = timestamp(received_at)
        with self.store.transaction() as connection:
            if message_id is not None:
                earlier = connection.execute(
                    "SELECT id, body_sha256 FROM idoc_message WHERE message_id = ?", (message_id,)
                ).fetchone()
                if earlier is not None:
                    if earlier[1] != body_sha256:
                        raise MessageIdReused(message_id)
                    return self._receipt(connection, earlier[0], is_duplicate=True)
            message_pk = connection.execute(
                "INSERT INTO idoc_message (message_id, body_sha256, transport, received_at,"
                " process_after, package) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    body_sha256,
                    transport,
                    moment,
                    timestamp(received_at + processing_delay),
                    package,
                ),
            ).lastrowid
            ready = IdocStatusCode.READY_FOR_APPLICATION
            connection.executemany(
                "INSERT INTO idoc (message_pk, position, direction, idoc_type, message_type,"
                " sender_docnum, status, status_text, status_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        message_pk,
                        idoc.position,
                        INBOUND,
                        idoc.idoc_type,
                        idoc.message_type,
                        idoc.sender_docnum,
                        ready,
                        STATUS_DESCRIPTIONS[ready],
                        moment,
                    )
                    for idoc in idocs
                ],
            )
            for status in (IdocStatusCode.ADDED, ready):
                connection.execute(
                    "INSERT INTO idoc_status (idoc_id, status, text, created_at)"
                    " SELECT id, ?, ?, ? FROM idoc WHERE message_pk = ? ORDER BY id",
                    (status, STATUS_DESCRIPTIONS[status], moment, message_pk),
                )
            return self._receipt(connection, message_pk, is_duplicate=False)

    def _receipt(
        self, connection: sqlite3.Connection, message_pk: int, *, is_duplicate: bool
    ) -> IdocReceipt:
        message_id, received_at = connection.execute(
            "SELECT message_id, received_at FROM idoc_message WHERE id = ?", (message_pk,)
        ).fetchone()
        rows = connection.execute(
            "SELECT position, id, sender_docnum, idoc_type, message_type FROM idoc"
            " WHERE message_pk = ? ORDER BY position",
            (message_pk,),
        ).fetchall()
        idocs = tuple(
            AssignedIdoc(position, docnum_for(idoc_id), sender, idoc_type, message_type)
            for position, idoc_id, sender, idoc_type, message_type in rows
        )
        return IdocReceipt(message_id, received_at, idocs, is_duplicate)

    # -- statuses ----------------------------------------------------------

    def idocs(self, docnums: Iterable[str]) -> list[StoredIdoc]:
        """The IDocs with these numbers and their status history; unknown numbers left out."""
        ids = sorted({i for i in map(idoc_id_for, docnums) if i is not None})
        found: list[StoredIdoc] = []
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            found.extend(self._stored_idocs(f"idoc.id IN ({marks})", chunk))
        return found

    def recent_idocs(self, limit: int = 1000, message_id: str | None = None) -> list[StoredIdoc]:
        """The newest IDocs first (``message_id``: only that package's)."""
        if message_id is not None:
            return self._stored_idocs("idoc_message.message_id = ?", [message_id])
        return self._stored_idocs("TRUE ORDER BY idoc.id DESC LIMIT ?", [limit])

    def _stored_idocs(self, condition: str, parameters: list) -> list[StoredIdoc]:
        """IDocs ``WHERE condition`` (which may end in ORDER BY / LIMIT) with their history."""
        connection = self.store.connection()
        select = (
            "SELECT idoc.id, direction, idoc_type, message_type, sender_docnum, message_id,"
            " status, status_text, status_at FROM idoc"
            " LEFT JOIN idoc_message ON idoc_message.id = idoc.message_pk WHERE "
        )
        rows = connection.execute(select + condition, parameters).fetchall()
        history: dict[int, list[StatusRecord]] = {row[0]: [] for row in rows}
        for chunk in _chunks(list(history)):
            marks = ",".join("?" * len(chunk))
            select = "SELECT idoc_id, status, text, created_at FROM idoc_status WHERE idoc_id"
            for idoc_id, status, text, created_at in connection.execute(
                f"{select} IN ({marks}) ORDER BY id",
                chunk,
            ):
                history[idoc_id].append(StatusRecord(status, text, created_at))
        return [
            StoredIdoc(docnum_for(row[0]), *row[1:], history=tuple(history[row[0]])) for row in rows
        ]

    # -- processing --------------------------------------------------------

    def claim_due_message(self, lease: timedelta) -> ClaimedMessage | None:
        """Take the oldest package due for processing and not leased; None when there is none."""
        row = self._claim(
            "idoc_message",
            "processed_at IS NULL AND process_after <= ?",
            "claimed_until",
            "id, package",
            lease,
        )
        if row is None:
            return None
        pending = (
            self.store.connection()
            .execute(
                "SELECT position, id FROM idoc WHERE message_pk = ? AND status = ?",
                (row[0], IdocStatusCode.READY_FOR_APPLICATION),
            )
            .fetchall()
        )
        return ClaimedMessage(row[0], row[1], dict(pending))

    def _claim(
        self, table: str, due: str, lease_column: str, returning: str, lease: timedelta
    ) -> tuple | None:
        """Lease the oldest row of ``table`` that is ``due`` (one ``?``: now) and not leased.

        A plain read comes first because polling finds nothing most of the
        time, and a read takes no write lock away from the sales-order creates
        (a busy writer waits in steps of milliseconds). The UPDATE checks the
        lease again, so of two pollers that read the same row one gets it.
        """
        moment = timestamp(now())
        is_free = f"({lease_column} IS NULL OR {lease_column} < ?)"
        connection = self.store.connection()
        candidate = connection.execute(
            f"SELECT id FROM {table} WHERE {due} AND {is_free} ORDER BY id LIMIT 1",  # noqa: S608
            (moment, moment),
        ).fetchone()
        if candidate is None:
            return None
        return connection.execute(
            f"UPDATE {table} SET {lease_column} = ? WHERE id = ? AND {is_free}"  # noqa: S608
            f" RETURNING {returning}",
            (timestamp(now() + lease), candidate[0], moment),
        ).fetchone()

    def finish_message(self, message_pk: int) -> None:
        self.store.connection().execute(
            "UPDATE idoc_message SET processed_at = ? WHERE id = ?", (timestamp(now()), message_pk)
        )

    @contextmanager
    def posting(self) -> Iterator[Books]:
        """One transaction for posting one IDoc: its checks, its documents and its status."""
        with self.store.transaction() as connection:
            yield Books(connection, now())

    # -- stock -------------------------------------------------------------

    def seed_stock(self, levels: list[StockLevel]) -> None:
        """Set these quantities (insert or replace), as a stock take would."""
        with self.store.transaction() as connection:
            upsert_stock(connection, levels)

    def stock(self, plant: str, materials: list[str] | None = None) -> list[StockLevel]:
        """Stock of ``plant`` (of ``materials`` when given) by material; unknown ones left out."""
        connection = self.store.connection()
        query = "SELECT material, plant, quantity, unit FROM stock WHERE plant = ?"
        if materials is None:
            rows = connection.execute(query + " ORDER BY material", (plant,)).fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted(set(materials))):
                marks = ",".join("?" * len(chunk))
                rows.extend(
                    connection.execute(
                        f"{query} AND material IN ({marks}) ORDER BY material",
                        [plant, *chunk],
                    ).fetchall()
                )
        return [StockLevel(m, p, Decimal(q), u) for m, p, q, u in rows]

    # -- invoice pushes ----------------------------------------------------

    def claim_due_push(self, lease: timedelta) -> DuePush | None:
        """Take the oldest invoice push that is due and not leased; None when there is none."""
        row = self._claim(
            "billing_document",
            "push_state = 'pending' AND push_due_at <= ?",
            "push_claimed_until",
            "id, idoc_id, push_attempts, idoc_xml",
            lease,
        )
        if row is None:
            return None
        billing_id, idoc_id, attempts, idoc_xml = row
        return DuePush(
            billing_id,
            billing_number_for(billing_id),
            idoc_id,
            docnum_for(idoc_id),
            attempts,
            idoc_xml,
        )

    def record_push(self, push: DuePush, error: str, retry_at: datetime | None) -> None:
        """The outcome of one push attempt: ``error`` "" for success; ``retry_at`` None
        when there is no attempt left."""
        moment = timestamp(now())
        with self.store.transaction() as connection:
            if not error:
                state, status, text = "sent", IdocStatusCode.PASSED_TO_PORT, ""
            elif retry_at is None:
                state, status, text = "failed", IdocStatusCode.PORT_ERROR, error
            else:
                state, status, text = "pending", None, error
            connection.execute(
                "UPDATE billing_document SET push_state = ?, push_attempts = push_attempts + 1,"
                " push_claimed_until = NULL, push_due_at = COALESCE(?, push_due_at),"
                " pushed_at = CASE WHEN ? = 'sent' THEN ? END, last_error = ? WHERE id = ?",
                (
                    state,
                    None if retry_at is None else timestamp(retry_at),
                    state,
                    moment,
                    error,
                    push.billing_id,
                ),
            )
            if status is not None:
                set_status(
                    connection, push.idoc_id, status, text or STATUS_DESCRIPTIONS[status], moment
                )

    def billing_documents(self, limit: int = 1000) -> list[dict]:
        """The newest billing documents first, with their push state (``/_sandbox/invoices``)."""
        rows = (
            self.store.connection()
            .execute(
                "SELECT billing_document.id, delivery_id, idoc_id, created_at, net_amount,"
                " tax_amount, total_due, currency, push_state, push_due_at, push_attempts,"
                " pushed_at, last_error FROM billing_document ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [
            {
                "billing_number": billing_number_for(row[0]),
                "delivery_number": delivery_number_for(row[1]),
                "docnum": docnum_for(row[2]),
                "created_at": row[3],
                "net_amount": row[4],
                "tax_amount": row[5],
                "total_due": row[6],
                "currency": row[7],
                "push_state": row[8],
                "push_due_at": row[9],
                "push_attempts": row[10],
                "pushed_at": row[11],
                "last_error": row[12],
            }
            for row in rows
        ]
