"""``python -m connectors.sandbox_shop``: serve the sandbox Shopify shop.

One gunicorn process with threads (``gthread``): the shop keeps its records in
memory, so it must be one process; threads let several clients keep their
connections open. The access token comes from ``--token`` or, better (kept
out of the process list), ``SANDBOX_SHOP_TOKEN``. Exit 2 on a bad option.
"""

import argparse
import logging
import os
import sys

from gunicorn.app.base import BaseApplication

from .app import SandboxShop
from .faults import FaultSettings
from .store import ShopStore
from .throttle import BucketSettings

TOKEN_VARIABLE = "SANDBOX_SHOP_TOKEN"  # noqa: S105 (a variable name, not a secret)
LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class ShopServer(BaseApplication):
    def __init__(self, arguments: argparse.Namespace, application: SandboxShop):
        self.arguments, self.application = arguments, application
        super().__init__()

    def load_config(self):
        settings = {
            "bind": self.arguments.bind,
            "workers": 1,  # the records live in this process's memory
            "threads": self.arguments.threads,
            "worker_class": "gthread",
            "graceful_timeout": 5,
            "keepalive": 30,
            "accesslog": "-" if self.arguments.access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "sandbox-shop",
            "worker_exit": lambda _server, _worker: self.application.store.dump(),
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self):
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        return self.application


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sandbox_shop",
        description=(
            "Serve a sandbox Shopify shop: the Admin GraphQL API (productSet, "
            "productVariantsBulkUpdate, inventorySetQuantities and reads) at "
            "POST http://BIND/admin/api/<version>/graphql.json with the cost-based "
            "throttle; faults and throttle at GET/POST /_sandbox/config; what it keeps "
            "at GET /_sandbox/records and /_sandbox/stats; health at /_sandbox/health."
        ),
    )
    parser.add_argument("--bind", default="127.0.0.1:8002", help="HOST:PORT (default %(default)s)")
    parser.add_argument("--token", help=f"the access token; prefer {TOKEN_VARIABLE}")
    parser.add_argument(
        "--location",
        action="append",
        help="a location by name (repeatable; default one named 'Shop location')",
    )
    parser.add_argument("--dump", help="JSON file the records are kept in across restarts")
    parser.add_argument("--threads", type=int, default=8, help="threads (default %(default)s)")
    parser.add_argument("--no-throttle", action="store_true", help="never refuse for cost")
    parser.add_argument("--bucket", type=float, default=2000.0, help="bucket size in points")
    parser.add_argument("--restore-rate", type=float, default=100.0, help="points per second")
    parser.add_argument("--fail-sku", action="append", default=[], help="refuse this SKU")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="refuse this share of SKUs")
    parser.add_argument("--fail-field", default="barcode", help="field the refusals name")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument(
        "--lose-answer-rate", type=float, default=0.0, help="share of mutations done, then 502"
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="sleep before each request")
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def build_application(arguments: argparse.Namespace, token: str) -> SandboxShop:
    """The shop the options describe; ValueError names a bad option."""
    faults = FaultSettings().changed(
        {
            "fail_skus": arguments.fail_sku,
            "fail_rate": arguments.fail_rate,
            "fail_field": arguments.fail_field,
            "error_rate": arguments.error_rate,
            "lose_answer_rate": arguments.lose_answer_rate,
            "latency_ms": arguments.latency_ms,
        }
    )
    throttle = BucketSettings(
        is_enabled=not arguments.no_throttle,
        maximum=arguments.bucket,
        restore_rate=arguments.restore_rate,
    )
    if throttle.maximum <= 0 or throttle.restore_rate <= 0:
        raise ValueError("--bucket and --restore-rate must be above 0")
    store = ShopStore(arguments.location, arguments.dump)
    return SandboxShop(store, access_token=token, faults=faults, throttle=throttle)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    token = arguments.token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        print(f"an access token is needed: --token or {TOKEN_VARIABLE}", file=sys.stderr)
        return 2
    try:
        application = build_application(arguments, token)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    ShopServer(arguments, application).run()
    return 0
