"""The operations console for IDocs: configs, packages and their IDocs, postings, stock
comparisons, files the ERP pushed, invoices (also on the order page)."""

from . import config, inbound, orders, outbound

__all__ = ["config", "inbound", "orders", "outbound"]
