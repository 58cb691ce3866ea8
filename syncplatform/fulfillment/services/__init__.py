"""Fulfilment use cases (3PL warehouses over SFTP and X12)."""

from .. import x12_documents
from .acknowledgments import check_acknowledgment, flag_overdue_acknowledgments
from .inbound import X12_FILES, apply_inbound_file, poll_warehouse, receive_file, retry_poll
from .outbound import (
    queue_997,
    send_and_upload_shipping_orders,
    send_shipping_orders,
    upload_interchange,
)
from .schedules import ensure_warehouse_schedules

# Declares every X12 document type this app reads (one module each).
x12_documents.load_all()

__all__ = [
    "X12_FILES",
    "apply_inbound_file",
    "check_acknowledgment",
    "ensure_warehouse_schedules",
    "flag_overdue_acknowledgments",
    "poll_warehouse",
    "queue_997",
    "receive_file",
    "retry_poll",
    "send_and_upload_shipping_orders",
    "send_shipping_orders",
    "upload_interchange",
]
