"""This app's settings: each a Django setting when the project defines it, else the environment.

Read on every use (not at import), so tests and operators changing them need
no restart of anything but the process that reads them.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from syncplatform.core.env import env_int, env_str


def max_inbound_idoc_bytes() -> int:
    """``SYNC_MAX_IDOC_BYTES``: largest IDoc-XML body the ERP may push (413 above). 50 MB:
    a day's billing run of 10,000 INVOIC02 is about 25 MB."""
    return getattr(settings, "SYNC_MAX_IDOC_BYTES", None) or env_int(
        "SYNC_MAX_IDOC_BYTES", 50 * 1024 * 1024
    )


def stock_tolerance() -> Decimal:
    """``SYNC_STOCK_TOLERANCE``: a stock difference (846 vs ERP) larger than this many
    units becomes a goods movement (WMMBXY); smaller ones are only shown."""
    raw = getattr(settings, "SYNC_STOCK_TOLERANCE", None)
    raw = str(raw) if raw is not None else env_str("SYNC_STOCK_TOLERANCE", "0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"SYNC_STOCK_TOLERANCE must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ImproperlyConfigured(f"SYNC_STOCK_TOLERANCE must be 0 or more, got {raw!r}")
    return value
