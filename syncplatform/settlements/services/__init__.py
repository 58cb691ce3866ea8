"""Settlement use cases: import a payout file, link its lines to orders."""

from .imports import BadSettlementFile, ImportReport, import_settlements
from .layouts import SHOPIFY_PAYMENTS, ColumnLayout, layout_for
from .matching import match_settlement_lines

__all__ = [
    "SHOPIFY_PAYMENTS",
    "BadSettlementFile",
    "ColumnLayout",
    "ImportReport",
    "import_settlements",
    "layout_for",
    "match_settlement_lines",
]
