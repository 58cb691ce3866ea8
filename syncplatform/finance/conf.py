"""This app's settings: each a Django setting when the project defines it, else the environment.

Read on every use (not at import), so tests and operators changing them need
no restart of anything but the process that reads them.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from syncplatform.core.env import env_int, env_str


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else env_str(name, default)


def reports_dir() -> Path:
    """``SYNC_REPORTS_DIR``: where report files are kept (default ``$SYNC_VAR_DIR/reports``).

    With web and batch workers on several hosts it must be a shared mount."""
    raw = _setting("SYNC_REPORTS_DIR", "")
    return Path(raw).resolve() if raw else settings.VAR_DIR / "reports"


def retention_days() -> int:
    """``SYNC_REPORT_RETENTION_DAYS``: reports (rows and files) older than this are deleted."""
    value = getattr(settings, "SYNC_REPORT_RETENTION_DAYS", None)
    days = int(value) if value is not None else env_int("SYNC_REPORT_RETENTION_DAYS", 90)
    if days < 1:
        raise ImproperlyConfigured(f"SYNC_REPORT_RETENTION_DAYS must be 1 or more, got {days}")
    return days


def default_tolerance() -> Decimal:
    """``SYNC_RECON_TOLERANCE``: the amount two sides may differ by and still match, for a
    channel and currency without a tolerance of its own (Finance > Tolerances)."""
    raw = _setting("SYNC_RECON_TOLERANCE", "0.01")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"SYNC_RECON_TOLERANCE must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ImproperlyConfigured(f"SYNC_RECON_TOLERANCE must be 0 or more, got {raw!r}")
    return value


def default_settlement_days() -> int:
    """``SYNC_RECON_SETTLEMENT_DAYS``: days after the order date by which a payout should
    have settled it, where a channel's tolerance row does not say otherwise."""
    value = getattr(settings, "SYNC_RECON_SETTLEMENT_DAYS", None)
    return int(value) if value is not None else env_int("SYNC_RECON_SETTLEMENT_DAYS", 14)


def public_base_url() -> str:
    """``SYNC_PUBLIC_URL``: the admin's address as users reach it (``https://sync.example.com``),
    so links in downloaded files open; empty gives site-relative links."""
    return _setting("SYNC_PUBLIC_URL", "").rstrip("/")


def daily_report_hour() -> int:
    """``SYNC_RECON_DAILY_HOUR``: the hour (in ``SYNC_TIME_ZONE``) from which the daily job
    makes yesterday's report; it runs hourly and makes each day's report once."""
    value = getattr(settings, "SYNC_RECON_DAILY_HOUR", None)
    return int(value) if value is not None else env_int("SYNC_RECON_DAILY_HOUR", 6)
