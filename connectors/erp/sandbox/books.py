"""The ERP's documents inside one posting transaction: what an IDoc's posting reads and writes.

``IdocStore.posting()`` opens the transaction (``BEGIN IMMEDIATE``) and hands
out a ``Books``; everything done through it commits with the IDoc's new status
or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from connectors.erp.idoc_service import STATUS_DESCRIPTIONS, IdocStatusCode
from connectors.erp.sandbox.idoc_records import (
    FIRST_BILLING_NUMBER,
    FIRST_MATERIAL_DOCUMENT,
    OUTBOUND,
    BillingAmounts,
    DeliveryRecord,
    StockLevel,
    billing_number_for,
    docnum_for,
    quantity_text,
    timestamp,
)
from connectors.erp.sandbox.store import (
    delivery_id_for,
    delivery_number_for,
    document_number_for,
)


class Books:
    """The ERP's documents inside one posting transaction (see ``IdocStore.posting``)."""

    def __init__(self, connection: sqlite3.Connection, moment: datetime):
        self.connection = connection
        self.now = moment

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """What is written inside is undone if it raises; the transaction goes on."""
        self.connection.execute("SAVEPOINT posting")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO posting")
            raise
        finally:
            self.connection.execute("RELEASE posting")

    def status_of(self, idoc_id: int) -> str | None:
        row = self.connection.execute("SELECT status FROM idoc WHERE id = ?", (idoc_id,)).fetchone()
        return None if row is None else row[0]

    def set_status(self, idoc_id: int, status: IdocStatusCode, text: str) -> None:
        set_status(self.connection, idoc_id, status, text, timestamp(self.now))

    def delivery(self, delivery_number: str) -> DeliveryRecord | None:
        """The delivery with this number (leading zeros optional) and its sales order."""
        delivery_id = delivery_id_for(delivery_number)
        row = self.connection.execute(
            "SELECT delivery.id, sales_order.id, external_reference, sold_to, currency,"
            " request_xml, goods_issued_at, material_document FROM delivery"
            " JOIN sales_order ON sales_order.id = delivery.sales_order_id WHERE delivery.id = ?",
            (delivery_id or 0,),
        ).fetchone()
        if row is None:
            return None
        delivery_id, order_id, reference, sold_to, currency, request_xml, issued, document = row
        return DeliveryRecord(
            delivery_id=delivery_id,
            delivery_number=delivery_number_for(delivery_id),
            sales_order_number=document_number_for(order_id),
            external_reference=reference,
            sold_to=sold_to,
            currency=currency,
            request_xml=request_xml,
            goods_issued_at=issued,
            material_document=document,
        )

    def post_goods_issue(
        self, delivery_id: int, issued_at: datetime, material_document: str, picked: dict
    ) -> None:
        self.connection.execute(
            "UPDATE delivery SET goods_issued_at = ?, material_document = ?, picked_json = ?"
            " WHERE id = ?",
            (
                timestamp(issued_at),
                material_document,
                json.dumps({str(item): quantity_text(q) for item, q in picked.items()}),
                delivery_id,
            ),
        )

    def stock(self, material: str, plant: str) -> StockLevel | None:
        row = self.connection.execute(
            "SELECT quantity, unit FROM stock WHERE material = ? AND plant = ?", (material, plant)
        ).fetchone()
        return None if row is None else StockLevel(material, plant, Decimal(row[0]), row[1])

    def set_stock(self, level: StockLevel) -> None:
        upsert_stock(self.connection, [level])

    def new_material_document(self, idoc_id: int) -> str:
        row_id = self.connection.execute(
            "INSERT INTO material_document (idoc_id, created_at) VALUES (?, ?)",
            (idoc_id, timestamp(self.now)),
        ).lastrowid
        return str(FIRST_MATERIAL_DOCUMENT + row_id - 1)

    def new_outbound_idoc(self, idoc_type: str, message_type: str) -> tuple[int, str]:
        """An outbound IDoc at status 30; (row id, DOCNUM)."""
        status = IdocStatusCode.READY_FOR_DISPATCH
        idoc_id = self.connection.execute(
            "INSERT INTO idoc (direction, idoc_type, message_type, sender_docnum, status,"
            " status_text, status_at) VALUES (?, ?, ?, '', ?, ?, ?)",
            (
                OUTBOUND,
                idoc_type,
                message_type,
                status,
                STATUS_DESCRIPTIONS[status],
                timestamp(self.now),
            ),
        ).lastrowid
        self.connection.execute(
            "INSERT INTO idoc_status (idoc_id, status, text, created_at) VALUES (?, ?, ?, ?)",
            (idoc_id, status, STATUS_DESCRIPTIONS[status], timestamp(self.now)),
        )
        return idoc_id, docnum_for(idoc_id)

    def new_billing_document(
        self, delivery_id: int, idoc_id: int, push_due_at: datetime | None
    ) -> str:
        """A billing document for the delivery, its INVOIC02 to follow (``complete_billing``).

        ``push_due_at`` None holds the INVOIC02 (push state ``held``): there is
        nowhere to push it.
        """
        row_id = self.connection.execute(
            "INSERT INTO billing_document (delivery_id, idoc_id, created_at, net_amount,"
            " tax_amount, total_due, currency, push_state, push_due_at, idoc_xml)"
            " VALUES (?, ?, ?, '0', '0', '0', '', ?, ?, x'')",
            (
                delivery_id,
                idoc_id,
                timestamp(self.now),
                "held" if push_due_at is None else "pending",
                timestamp(push_due_at or self.now),
            ),
        ).lastrowid
        return billing_number_for(row_id)

    def complete_billing(self, billing_number: str, amounts: BillingAmounts, idoc_xml: bytes):
        row_id = int(billing_number) - FIRST_BILLING_NUMBER + 1
        self.connection.execute(
            "UPDATE billing_document SET net_amount = ?, tax_amount = ?, total_due = ?,"
            " currency = ?, idoc_xml = ? WHERE id = ?",
            (
                format(amounts.net_amount, "f"),
                format(amounts.tax_amount, "f"),
                format(amounts.total_due, "f"),
                amounts.currency,
                idoc_xml,
                row_id,
            ),
        )


def set_status(
    connection: sqlite3.Connection, idoc_id: int, status: str, text: str, at: str
) -> None:
    connection.execute(
        "UPDATE idoc SET status = ?, status_text = ?, status_at = ? WHERE id = ?",
        (status, text, at, idoc_id),
    )
    connection.execute(
        "INSERT INTO idoc_status (idoc_id, status, text, created_at) VALUES (?, ?, ?, ?)",
        (idoc_id, status, text, at),
    )


def upsert_stock(connection: sqlite3.Connection, levels: Iterable[StockLevel]) -> None:
    connection.executemany(
        "INSERT INTO stock (material, plant, quantity, unit) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (material, plant) DO UPDATE SET quantity = excluded.quantity,"
        " unit = excluded.unit",
        [(s.material, s.plant, format(s.quantity, "f"), s.unit) for s in levels],
    )
