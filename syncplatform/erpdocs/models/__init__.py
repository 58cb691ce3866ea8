"""IDoc settings per ERP, postings and their packages, stock comparisons, ERP documents in."""

from .config import DocnumSequence, IdocConfig
from .inbound import InboundIdocFile, Invoice, InvoiceLine
from .postings import Idoc, IdocPackage, Posting, StockComparison, StockComparisonLine

__all__ = [
    "DocnumSequence",
    "Idoc",
    "IdocConfig",
    "IdocPackage",
    "InboundIdocFile",
    "Invoice",
    "InvoiceLine",
    "Posting",
    "StockComparison",
    "StockComparisonLine",
]
