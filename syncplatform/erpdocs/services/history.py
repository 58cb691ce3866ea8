"""An order's history across apps: every transaction that carried it, oldest first.

The ERP posting is about the order itself; its 940 and 945 travelled in
files, its shipment confirmation in an IDoc package, its invoice in a file
the ERP pushed. Each of those transactions is one line here, with what it
carried for this order.
"""

from dataclasses import dataclass
from datetime import datetime

from syncplatform.audit import registry
from syncplatform.audit.models import SyncTransaction
from syncplatform.fulfillment.models import Shipment, ShippingOrder

from ..models import Idoc, Invoice


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str
    state: str
    what: str
    transaction_id: int


def order_history(order_id: int) -> list[HistoryLine]:
    carried: dict[int, str] = {}
    about_order = SyncTransaction.objects.filter(
        kind__in=registry.kinds_about("orders.Order"), subject_id=order_id
    ).values_list("pk", "business_key")
    carried.update((pk, f"order {key}") for pk, key in about_order)
    for pk, name in ShippingOrder.objects.filter(order_id=order_id).values_list(
        "interchange__transaction", "interchange__file_name"
    ):
        carried[pk] = f"940 in {name}"
    for pk, name in Shipment.objects.filter(shipping_order__order_id=order_id).values_list(
        "interchange__transaction", "interchange__file_name"
    ):
        carried[pk] = f"945 in {name}"
    idocs = Idoc.objects.filter(posting__order_id=order_id).select_related("package", "posting")
    for idoc in idocs:
        status = f", ERP status {idoc.status} {idoc.status_text}" if idoc.status else ""
        carried[idoc.package.transaction_id] = (
            f"{idoc.posting.kind} IDoc {idoc.docnum} in {idoc.package.file_name}{status}"
        )
        if idoc.failure_transaction_id:
            carried[idoc.failure_transaction_id] = f"IDoc {idoc.docnum} not posted (51)"
    for invoice in Invoice.objects.filter(order_id=order_id).select_related("file"):
        carried[invoice.file.transaction_id] = (
            f"invoice {invoice.invoice_number} ({invoice.total_due} {invoice.currency}) "
            f"in {invoice.file.file_name}"
        )
    rows = SyncTransaction.objects.filter(pk__in=[pk for pk in carried if pk]).order_by("pk")
    return [
        HistoryLine(tx.created_at, tx.kind, tx.state, carried[tx.pk], tx.pk)
        for tx in rows.only("pk", "kind", "state", "created_at")
    ]
