"""``python -m connectors.erp.sandbox``: serve the sandbox ERP under gunicorn.

Threaded gunicorn workers (gthread) share one SQLite store, so several
processes and threads answer concurrent clients; fault injection set through
``POST /_sandbox/config`` reaches every worker. Each worker also runs the
background thread that posts received IDocs and pushes invoices. The
concurrency gauge is made here, before the workers fork, so that
``/_sandbox/stats`` counts across all of them. The ``--invoice-*`` options
are written to the store at start (``POST /_sandbox/config`` changes them later).
"""

import argparse
import logging
import os
import sys

from gunicorn.app.base import BaseApplication

from connectors.erp.sandbox.app import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_PACKAGE_BYTES,
    create_app,
)
from connectors.erp.sandbox.idoc_store import IdocStore
from connectors.erp.sandbox.settings import is_valid
from connectors.erp.sandbox.stats import ConcurrencyGauge
from connectors.erp.sandbox.store import SandboxStore

PASSWORD_VARIABLE = "SANDBOX_ERP_PASSWORD"  # noqa: S105 (a variable name, not a secret)
INVOICE_PASSWORD_VARIABLE = "SANDBOX_ERP_INVOICE_PASSWORD"  # noqa: S105
INVOICE_API_KEY_VARIABLE = "SANDBOX_ERP_INVOICE_API_KEY"
LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class SandboxServer(BaseApplication):
    """gunicorn with its options given in code; each worker builds its own application."""

    def __init__(self, arguments: argparse.Namespace, password: str | None):
        self.arguments = arguments
        self.password = password
        self.gauge = ConcurrencyGauge()  # before the fork: shared by every worker
        super().__init__()

    def load_config(self):
        settings = {
            "bind": self.arguments.bind,
            "workers": self.arguments.workers,
            "threads": self.arguments.threads,
            "worker_class": "gthread",
            "graceful_timeout": 5,
            "keepalive": 5,
            "accesslog": "-" if self.arguments.access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "sandbox-erp",
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self):
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # each worker, after the fork
        return create_app(
            self.arguments.store,
            self.arguments.user,
            self.password,
            max_body_bytes=self.arguments.max_body_bytes,
            max_package_bytes=self.arguments.max_package_bytes,
            gauge=self.gauge,
        )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.erp.sandbox",
        description=(
            "Serve the sandbox SAP-style ERP (SOAP 1.1). WSDL: http://BIND/sap/SalesOrder?wsdl;"
            " SOAP endpoint: POST http://BIND/sap/SalesOrder; IDoc packages: POST"
            " /sap/bc/srt/idoc (SOAP) or /sap/bc/idoc_xml (plain XML), ?msgguid=ID;"
            " IDoc statuses: GET /sap/bc/idoc_status?docnum=N; stock: GET"
            " /sap/bc/stock?plant=P; fault injection, IDoc settings, stock seeding, price"
            " differences per material:"
            " GET/POST /_sandbox/config; documents: GET /_sandbox/documents,"
            " /_sandbox/idocs, /_sandbox/invoices; peak concurrency: GET /_sandbox/stats;"
            " health: GET /_sandbox/health."
        ),
    )
    parser.add_argument("--bind", default="127.0.0.1:8001", help="HOST:PORT (default %(default)s)")
    parser.add_argument("--store", required=True, help="SQLite file for documents and settings")
    parser.add_argument("--user", help="require HTTP basic auth with this user name")
    parser.add_argument(
        "--password",
        help=f"password for --user; prefer the {PASSWORD_VARIABLE} environment variable,"
        " which keeps it out of the process list",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default %(default)s)")
    parser.add_argument(
        "--threads", type=int, default=8, help="threads per process (default %(default)s)"
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help="larger SOAP requests are refused with 413 (default %(default)s)",
    )
    parser.add_argument(
        "--max-package-bytes",
        type=int,
        default=DEFAULT_MAX_PACKAGE_BYTES,
        help="larger IDoc packages are refused with 413 (default %(default)s)",
    )
    parser.add_argument(
        "--invoice-url",
        help="the platform's inbound URL for INVOIC02 pushes,"
        " e.g. http://127.0.0.1:8000/api/v1/erp/demo-erp/idocs",
    )
    parser.add_argument(
        "--invoice-user",
        help=f"HTTP basic auth user for the pushes; the password from {INVOICE_PASSWORD_VARIABLE}",
    )
    parser.add_argument(
        "--invoice-api-key-header",
        help=f"header for the API key in {INVOICE_API_KEY_VARIABLE} (default X-API-Key)",
    )
    parser.add_argument(
        "--invoice-delay-ms", type=int, help="from goods issue to the first push (default 1000)"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def invoice_settings(arguments: argparse.Namespace) -> dict:
    """The IDoc settings the command line and environment give; ValueError for a bad one."""
    given = {
        "invoice_push_url": arguments.invoice_url,
        "invoice_push_username": arguments.invoice_user,
        "invoice_push_password": os.environ.get(INVOICE_PASSWORD_VARIABLE),
        "invoice_push_api_key_header": arguments.invoice_api_key_header,
        "invoice_push_api_key": os.environ.get(INVOICE_API_KEY_VARIABLE),
        "invoice_delay_ms": arguments.invoice_delay_ms,
    }
    settings = {name: value for name, value in given.items() if value is not None}
    for name, value in settings.items():
        if not is_valid(name, value):
            raise ValueError(f"invalid value for {name}")
    return settings


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    password = arguments.password or os.environ.get(PASSWORD_VARIABLE)
    if arguments.user and not password:
        print(f"--user needs --password or {PASSWORD_VARIABLE}", file=sys.stderr)
        return 2
    try:
        settings = invoice_settings(arguments)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    # create the schema once, and fail early on a bad path
    IdocStore(SandboxStore(arguments.store)).update_settings(**settings)
    SandboxServer(arguments, password).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
