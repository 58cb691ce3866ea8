"""The sandbox shop as a WSGI application.

====== ===================================== ==========================================
POST   ``/admin/api/<version>/graphql.json`` Shopify Admin GraphQL: ``{"query",
                                             "variables", "operationName"}``; needs
                                             ``X-Shopify-Access-Token``
GET    ``/_sandbox/health``                  ``{"status": "ok"}``
GET    ``/_sandbox/config``                  faults and throttle (JSON)
POST   ``/_sandbox/config``                  change some: ``{"fail_skus": [...],
                                             "throttle": {"is_enabled": false}}``
GET    ``/_sandbox/records``                 products with their variants and
                                             quantities; ``?sku=S`` for one SKU's
GET    ``/_sandbox/stats``                   requests, throttled, mutations by name,
                                             variants created per SKU above once
POST   ``/_sandbox/reset``                   forget every product (locations stay)
====== ===================================== ==========================================

Every GraphQL request runs under one lock: the shop's records are in memory
in this one process (run it with one gunicorn worker). Answers follow
Shopify's: HTTP 200 with ``data``, ``errors`` and ``extensions.cost`` for
GraphQL outcomes (including ``THROTTLED`` and validation errors); 401 for a
wrong token; 404 for an unknown API version; 400 for a body that is not a
GraphQL request; 503/502 only when faults are injected.
"""

import json
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import asdict
from functools import lru_cache
from http import HTTPStatus

from graphql import GraphQLError, execute, parse, validate
from graphql.language import OperationDefinitionNode

from .faults import FaultSettings
from .resolvers import RequestContext, attach
from .schema import VERSION_PATTERN, schema_for
from .store import ShopStore
from .throttle import SINGLE_QUERY_LIMIT, BucketSettings, CostBucket, requested_cost

logger = logging.getLogger(__name__)

GRAPHQL_PREFIX = "/admin/api/"
GRAPHQL_SUFFIX = "/graphql.json"
MAX_BODY_BYTES = 8 * 1024 * 1024
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105
DOCUMENTATION = "https://shopify.dev/api/usage/rate-limits"
DUMP_EVERY_SECONDS = 2.0


class SandboxShop:
    """The WSGI callable; ``store``, ``faults`` and ``bucket`` are what tests may inspect."""

    def __init__(
        self,
        store: ShopStore,
        *,
        access_token: str,
        faults: FaultSettings | None = None,
        throttle: BucketSettings | None = None,
        seed: int = 0,
    ):
        self.store, self.access_token = store, access_token
        self.faults = faults or FaultSettings()
        self.bucket = CostBucket(throttle or BucketSettings())
        self.lock = threading.Lock()
        self.dice = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self._dirty = False
        self._dumper: threading.Thread | None = None

    def __call__(self, environ, start_response):
        if self.store.dump_path is not None and self._dumper is None:
            self._start_dumper()
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path.startswith(GRAPHQL_PREFIX) and path.endswith(GRAPHQL_SUFFIX):
            version = path[len(GRAPHQL_PREFIX) : -len(GRAPHQL_SUFFIX)]
            status, body = self._graphql(environ, method, version)
        else:
            status, body = self._control(environ, method, path)
        payload = json.dumps(body).encode()
        start_response(
            f"{status.value} {status.phrase}",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    # ----- GraphQL

    def _graphql(self, environ, method, version):
        if method != "POST":
            return HTTPStatus.METHOD_NOT_ALLOWED, {"errors": "Method Not Allowed"}
        if self.faults.outage:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"errors": "Service Unavailable"}
        if environ.get("HTTP_X_SHOPIFY_ACCESS_TOKEN") != self.access_token:
            return HTTPStatus.UNAUTHORIZED, {"errors": INVALID_TOKEN}
        if not VERSION_PATTERN.match(version):
            return HTTPStatus.NOT_FOUND, {"errors": "Not Found"}
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        with self.lock:
            self.stats["requests"] += 1
            if self.faults.roll(self.faults.error_rate, self.dice):
                self.stats["injected_5xx"] += 1
                return HTTPStatus.SERVICE_UNAVAILABLE, {"errors": "Service Unavailable"}
            request = _read_request(environ)
            if isinstance(request, str):
                return HTTPStatus.BAD_REQUEST, {"errors": {"query": request}}
            answer = self._run(version, *request)
            if answer.get("data") and self._is_mutation(request[0]):
                self._dirty = True
                if self.faults.roll(self.faults.lose_answer_rate, self.dice):
                    self.stats["answers_lost"] += 1
                    return HTTPStatus.BAD_GATEWAY, {"errors": "Bad Gateway"}
            return HTTPStatus.OK, answer

    def _run(self, version: str, query: str, variables: dict, operation_name: str | None) -> dict:
        schema = schema_for(version)
        document = _parsed(schema, query)
        if isinstance(document, list):
            return {"errors": document}
        operation = _operation(document, operation_name)
        if operation is None:
            return {"errors": [{"message": f"No operation named {operation_name!r}"}]}
        cost = requested_cost(operation, variables)
        if cost > SINGLE_QUERY_LIMIT:
            return self._refused(
                cost,
                f"Query cost is {cost}, which exceeds the single query max cost limit "
                f"({SINGLE_QUERY_LIMIT}).",
                "MAX_COST_EXCEEDED",
            )
        if not self.bucket.take(cost):
            self.stats["throttled"] += 1
            return self._refused(cost, "Throttled", "THROTTLED")
        if operation.operation.value == "mutation":
            for selection in operation.selection_set.selections:
                self.stats[f"mutation.{selection.name.value}"] += 1
        result = execute(
            schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=RequestContext(self.store, self.faults, version),
        )
        answer = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        answer["extensions"] = {"cost": self._cost(cost, cost)}
        return answer

    def _refused(self, cost: int, message: str, code: str) -> dict:
        return {
            "errors": [
                {"message": message, "extensions": {"code": code, "documentation": DOCUMENTATION}}
            ],
            "extensions": {"cost": self._cost(cost, None)},
        }

    def _cost(self, requested: int, actual: int | None) -> dict:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    @staticmethod
    def _is_mutation(query: str) -> bool:
        return query.lstrip().startswith("mutation")

    # ----- control

    def _control(self, environ, method, path):
        if path == "/_sandbox/health":
            return HTTPStatus.OK, {"status": "ok"}
        if path == "/_sandbox/config" and method == "GET":
            return HTTPStatus.OK, self._config()
        if path == "/_sandbox/config" and method == "POST":
            return self._configure(environ)
        if path == "/_sandbox/records" and method == "GET":
            with self.lock:
                return HTTPStatus.OK, self._records(_query_value(environ, "sku"))
        if path == "/_sandbox/stats" and method == "GET":
            with self.lock:
                stats = dict(self.stats)
                stats["variants"] = len(self.store.variants)
                stats["products"] = len(self.store.products)
                stats["created_more_than_once"] = {
                    sku: n for sku, n in self.store.created_by_sku.items() if n > 1
                }
                return HTTPStatus.OK, stats
        if path == "/_sandbox/reset" and method == "POST":
            with self.lock:
                locations = list(self.store.locations.values())
                self.store.__init__(locations)
                self.stats.clear()
                return HTTPStatus.OK, {"status": "reset"}
        return HTTPStatus.NOT_FOUND, {"errors": "Not Found"}

    def _config(self) -> dict:
        return {"faults": self.faults.as_json(), "throttle": asdict(self.bucket.settings)}

    def _configure(self, environ):
        try:
            document = json.loads(
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            )
            throttle = document.pop("throttle", None)
            faults = self.faults.changed(document)
            if throttle is not None:
                settings = asdict(self.bucket.settings)
                unknown = set(throttle) - set(settings)
                if unknown:
                    raise ValueError(f"unknown throttle setting {sorted(unknown)[0]!r}")
                settings.update(throttle)
                self.bucket.reconfigure(BucketSettings(**settings))
        except (ValueError, TypeError, AttributeError) as error:
            return HTTPStatus.BAD_REQUEST, {"error": str(error)}
        self.faults = faults
        return HTTPStatus.OK, self._config()

    def _records(self, sku: str | None) -> dict:
        store = self.store
        products = []
        for product in store.products.values():
            variants = [
                {
                    "id": variant.id,
                    "sku": variant.sku,
                    "barcode": variant.barcode,
                    "price": variant.price,
                    "inventory_item_id": variant.inventory_item_id,
                    "quantities": {
                        store.locations[location]: quantities
                        for (item, location), quantities in store.levels.items()
                        if item == variant.inventory_item_id
                    },
                }
                for variant in (store.variants[v] for v in product.variant_ids)
                if sku is None or variant.sku == sku
            ]
            if variants or sku is None:
                products.append({"id": product.id, "title": product.title, "variants": variants})
        return {
            "products": products,
            "locations": store.locations,
            "created_by_sku": dict(store.created_by_sku),
        }

    def _start_dumper(self) -> None:
        # Started by the first request, in the process that serves (gunicorn's worker is
        # forked after this object is made, and a thread does not survive a fork).
        with self.lock:
            if self._dumper is None:
                self._dumper = threading.Thread(target=self._dump_now_and_then, daemon=True)
                self._dumper.start()

    def _dump_now_and_then(self) -> None:
        while True:
            time.sleep(DUMP_EVERY_SECONDS)
            if self._dirty:
                with self.lock:
                    self._dirty = False
                    self.store.dump()


def _read_request(environ) -> tuple | str:
    """(query, variables, operation name), or the reason the body is no GraphQL request."""
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return "Required parameter missing or invalid"
    try:
        body = json.loads(environ["wsgi.input"].read(int(length)) or b"null")
    except (ValueError, UnicodeDecodeError):
        return "Required parameter missing or invalid"
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return "Required parameter missing or invalid"
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return "Required parameter missing or invalid"
    return body["query"], variables, body.get("operationName")


@lru_cache(maxsize=256)
def _parsed(schema, query: str):
    """The parsed and validated document, or its errors (a client repeats the same texts)."""
    attach(schema)
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.formatted]
    errors = validate(schema, document)
    return [error.formatted for error in errors] if errors else document


def _operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _query_value(environ, name: str) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(environ.get("QUERY_STRING", "")).get(name)
    return values[0] if values else None
