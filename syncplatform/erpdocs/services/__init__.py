"""ERP document use cases: IDoc postings out (SHPCON, WMMBXY), their statuses, IDocs in."""

from .. import idoc_documents
from .config import authenticate_erp_push, ensure_erp_schedules, issue_inbound_api_key
from .inbound import IDOC_FILES, apply_idoc_file, receive_idoc_file
from .outbound import release_package, send_idoc_package, send_idoc_postings
from .postings import record_shipment_confirmation, resend_posting
from .statuses import poll_idoc_statuses
from .stock import compare_stock, record_stock_report

# Declares every IDoc type this app reads (one module each).
idoc_documents.load_all()

__all__ = [
    "IDOC_FILES",
    "apply_idoc_file",
    "authenticate_erp_push",
    "compare_stock",
    "ensure_erp_schedules",
    "issue_inbound_api_key",
    "poll_idoc_statuses",
    "receive_idoc_file",
    "record_shipment_confirmation",
    "record_stock_report",
    "release_package",
    "resend_posting",
    "send_idoc_package",
    "send_idoc_postings",
]
