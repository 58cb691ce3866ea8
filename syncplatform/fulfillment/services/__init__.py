"""Fulfilment use cases (3PL warehouses over SFTP and X12)."""

from .acknowledgments import check_acknowledgment, flag_overdue_acknowledgments
from .inbound import apply_inbound_file, poll_warehouse, receive_file, retry_poll
from .outbound import (
    queue_997,
    send_and_upload_shipping_orders,
    send_shipping_orders,
    upload_interchange,
)
from .schedules import ensure_warehouse_schedules

__all__ = [
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
