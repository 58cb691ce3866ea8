"""``python -m connectors.erp.sandbox``: serve the sandbox ERP under gunicorn.

Threaded gunicorn workers (gthread) share one SQLite store, so several
processes and threads answer concurrent clients; fault injection set through
``POST /_sandbox/config`` reaches every worker.
"""

import argparse
import os
import sys

from gunicorn.app.base import BaseApplication

from connectors.erp.sandbox.app import DEFAULT_MAX_BODY_BYTES, create_app
from connectors.erp.sandbox.store import SandboxStore

PASSWORD_VARIABLE = "SANDBOX_ERP_PASSWORD"  # noqa: S105 (a variable name, not a secret)


class SandboxServer(BaseApplication):
    """gunicorn with its options given in code; each worker builds its own application."""

    def __init__(self, arguments: argparse.Namespace, password: str | None):
        self.arguments = arguments
        self.password = password
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
        return create_app(
            self.arguments.store,
            self.arguments.user,
            self.password,
            max_body_bytes=self.arguments.max_body_bytes,
        )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.erp.sandbox",
        description=(
            "Serve the sandbox SAP-style ERP (SOAP 1.1). WSDL: http://BIND/sap/SalesOrder?wsdl;"
            " SOAP endpoint: POST http://BIND/sap/SalesOrder; fault injection:"
            " GET/POST /_sandbox/config; documents: GET /_sandbox/documents;"
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
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    password = arguments.password or os.environ.get(PASSWORD_VARIABLE)
    if arguments.user and not password:
        print(f"--user needs --password or {PASSWORD_VARIABLE}", file=sys.stderr)
        return 2
    SandboxStore(arguments.store)  # create the schema once, and fail early on a bad path
    SandboxServer(arguments, password).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
