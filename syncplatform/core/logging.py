"""Log lines that say which transaction they are about, as text or as JSON lines.

While a worker runs a transaction, ``transaction_context(...)`` holds its
fields (``TRANSACTION_FIELDS``: kind, id, business key, correlation id,
outcome). ``TransactionContextFilter`` copies them onto every record logged in
that block, by any logger (the runner, a connector, zeep), unless the call
passed its own in ``extra``. Two formatters read them:

- ``plain`` (the default) appends ``[tx_kind=… tx_id=… …]`` to the message;
- ``json`` (``SYNC_LOG_FORMAT=json``) writes one JSON object per line with
  the fields as keys, through python-json-logger.

``logging_config(format, level)`` is the ``LOGGING`` dict settings use. This
module must not read Django settings: settings imports it.
"""

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

TRANSACTION_FIELDS = ("tx_kind", "tx_id", "business_key", "correlation_id", "outcome")
LOG_FORMATS = ("plain", "json")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "transaction_log_context", default=None
)


@contextmanager
def transaction_context(**fields) -> Iterator[None]:
    """Every record logged inside the block carries ``fields`` (see TRANSACTION_FIELDS)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class TransactionContextFilter(logging.Filter):
    """Puts the current transaction's fields on the record (a call's own ``extra`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class PlainFormatter(logging.Formatter):
    """``time LEVEL logger message [tx_kind=… tx_id=… business_key=… …]``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}"
            for name in TRANSACTION_FIELDS
            if getattr(record, name, "") not in ("", None)
        ]
        return f"{line} [{' '.join(fields)}]" if fields else line


class TransactionJsonFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, and each field as a key."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)


def logging_config(log_format: str, level: str) -> dict:
    """Django's ``LOGGING``: one console handler, ``log_format`` "plain" or "json"."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(
            f"SYNC_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}"
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"transaction": {"()": "syncplatform.core.logging.TransactionContextFilter"}},
        "formatters": {
            "plain": {
                "()": "syncplatform.core.logging.PlainFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {"()": "syncplatform.core.logging.TransactionJsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["transaction"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "zeep": {"level": "WARNING"},
            "paramiko": {"level": "WARNING"},
            # Celery's "Task … succeeded in 0.1s" says only that the task returned; a
            # transaction's own outcome is the runner's line. Failures still log here.
            "celery.app.trace": {"level": "WARNING"},
            # Its "Task … received" per message likewise: the runner logs each attempt.
            "celery.worker.strategy": {"level": "WARNING"},
        },
    }
