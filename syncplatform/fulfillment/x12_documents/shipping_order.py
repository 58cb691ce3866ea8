"""940 shipping order: what we send; read back only to show a file in the admin."""

from connectors.edi.w940 import ShippingOrder, read_940
from syncplatform.audit.registry import DocumentType

from ..services.inbound import X12_FILES


def describe(document: ShippingOrder) -> str:
    return (
        f"940: depositor order {document.depositor_order_number}, PO "
        f"{document.purchase_order_number or '-'}, {len(document.lines)} line(s)"
    )


# No applier and no kind: nobody sends us 940s.
X12_FILES.register(DocumentType("940", read_940, None, "", describe))
