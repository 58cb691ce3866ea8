"""ShopifyAdminClient: publish listings to a Shopify shop through the Admin GraphQL API.

Plain Python over one ``requests.Session`` (kept-alive connections). What it
offers the platform:

* :meth:`create_products` -- one ``productSet`` per draft (a product with one
  variant), many per request; returns, per draft, a :class:`PublishedVariant`
  (Shopify's product, variant and inventory item ids) or a
  :class:`RefusedVariant` (the user error, naming the field). **Not
  idempotent**: a create whose answer was lost may have happened, so after a
  ``TransientError`` with ``may_have_reached_partner`` the caller must look the
  SKUs up (:meth:`find_variants`) before creating again.
* :meth:`update_variants` -- ``productVariantsBulkUpdate`` per product (price,
  barcode, SKU), many per request. Idempotent (it sets values), so the client
  retries it by itself.
* :meth:`set_available` -- ``inventorySetQuantities`` with absolute
  ``available`` quantities (idempotent, retried). Shopify applies a batch all or
  nothing; a batch with user errors is sent again without the refused
  quantities, so one bad item fails only itself.
* :meth:`find_variants` (by SKU) and :meth:`location_ids` (by name), read-only.

Throttle: after every answer the bucket's ``throttleStatus`` is read
(:mod:`shopify_admin_throttle`) and, before every call, the client sleeps just
long enough for the call's cost to be in the bucket. A ``THROTTLED`` answer
(nothing done) waits for the refused cost and is sent again. ``sleep`` and
``clock`` are injectable, so tests see every wait.

Errors are the three of :mod:`connectors.errors`:

============================================== ===========================================
what happened                                  error
============================================== ===========================================
connection refused, connect timeout, HTTP 429  retried; then TransientError
THROTTLED (more than ``max_attempts`` times)   TransientError(code="shopify_throttled")
read timeout, connection lost after sending,   retried for idempotent calls; then, or at
HTTP 5xx                                       once for creates,
                                               TransientError(may_have_reached_partner=True)
HTTP 401/403 (token), 404 (shop URL or API     ConfigError
version), GraphQL errors (our document does
not fit the version), MAX_COST_EXCEEDED
HTTP 400, an answer that is not JSON           PermanentError
============================================== ===========================================

Messages name the shop URL, never the token.
"""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import requests

from connectors.errors import ConfigError, PermanentError, TransientError

from . import shopify_admin_documents as documents
from .shopify_admin_documents import VariantDraft
from .shopify_admin_throttle import CostGauge, ThrottleStatus

__all__ = [
    "DEFAULT_API_VERSION",
    "PublishedVariant",
    "QuantityDraft",
    "RefusedVariant",
    "ShopifyAdminClient",
    "VariantDraft",
]

DEFAULT_API_VERSION = "2026-10"
CONNECT_TIMEOUT_SECONDS = 5.0
MUTATIONS_PER_REQUEST = 50  # 500 points, half of Shopify's single-request limit
QUANTITIES_PER_REQUEST = 250  # Shopify's maximum input array size
SKUS_PER_LOOKUP = 50
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class PublishedVariant:
    key: str
    sku: str
    product_id: str
    variant_id: str
    inventory_item_id: str


@dataclass(frozen=True)
class RefusedVariant:
    """Shopify refused this draft: ``field`` is the input field it named (``barcode``),
    ``path`` the whole path (``input.variants.0.barcode``)."""

    key: str
    sku: str
    field: str
    path: str
    message: str
    code: str

    def describe(self) -> str:
        return f"{self.field or 'input'}: {self.message} ({self.code})"


@dataclass(frozen=True)
class QuantityDraft:
    key: str
    inventory_item_id: str
    location_id: str
    quantity: int


class _AboveBucket(Exception):
    """A request cost more than the whole bucket: Shopify will never run it."""


class ShopifyAdminClient:
    def __init__(
        self,
        shop_url: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        mutations_per_request: int = MUTATIONS_PER_REQUEST,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not shop_url.startswith(("http://", "https://")):
            raise ConfigError(f"shop URL {shop_url!r} is not an http(s) URL", code="shop_url")
        self.shop_url = shop_url.rstrip("/")
        self.endpoint = (
            f"{self.shop_url}/admin/api/{api_version or DEFAULT_API_VERSION}/graphql.json"
        )
        self.session = session or requests.Session()
        self.session.headers.update(
            {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}
        )
        self.timeout, self.max_attempts = timeout, max_attempts
        self.mutations_per_request = mutations_per_request
        self.sleep = sleep
        self.gauge = CostGauge(clock)

    # ----- publishing

    def create_products(self, drafts: Sequence[VariantDraft]) -> list:
        return self._in_batches(
            drafts, documents.product_set_request, _product_set_result, "p", is_idempotent=False
        )

    def update_variants(self, drafts: Sequence[VariantDraft]) -> list:
        return self._in_batches(
            drafts, documents.bulk_update_request, _bulk_update_result, "u", is_idempotent=True
        )

    def set_product_status(self, drafts: Sequence[VariantDraft], status: str) -> list:
        """``productSet`` with only the status (``ARCHIVED`` unpublishes, ``ACTIVE`` brings
        back) of each draft's product; idempotent. Results as for :meth:`update_variants`."""
        return self._in_batches(
            drafts,
            lambda batch: documents.product_status_request(batch, status),
            _status_result,
            "s",
            is_idempotent=True,
        )

    def _in_batches(self, drafts, build, result_of, alias: str, *, is_idempotent: bool) -> list:
        """Several mutations a request, as many as the bucket can ever pay for at once."""
        results, start = [], 0
        while start < len(drafts):
            batch = drafts[start : start + self._batch_size()]
            query, variables = build(batch)
            try:
                answer = self.call(
                    query,
                    variables,
                    cost=documents.MUTATION_COST * len(batch),
                    is_idempotent=is_idempotent,
                )
            except _AboveBucket:
                continue  # the gauge knows the bucket now: the next batch is smaller
            results.extend(result_of(d, answer, f"{alias}{i}") for i, d in enumerate(batch))
            start += len(batch)
        return results

    def _batch_size(self) -> int:
        status = self.gauge.status
        if status is None:
            return self.mutations_per_request
        affordable = int(status.maximum // documents.MUTATION_COST)
        return max(1, min(self.mutations_per_request, affordable))

    def set_available(
        self,
        quantities: Sequence[QuantityDraft],
        *,
        reason: str = "correction",
        reference_uri: str | None = None,
    ) -> list[RefusedVariant]:
        """Set each draft's ``available`` quantity; returns the refused ones (empty: all set)."""
        refused = []
        for batch in _chunks(quantities, QUANTITIES_PER_REQUEST):
            pending = list(batch)
            while pending:
                errors = self._set_batch(pending, reason, reference_uri)
                if not errors:
                    break
                refused_now = _refused_quantities(pending, errors)
                refused.extend(refused_now)
                keys = {r.key for r in refused_now}
                if not keys:  # an error naming no quantity refuses the whole batch
                    refused.extend(_refuse_all(pending, errors[0]))
                    break
                pending = [q for q in pending if q.key not in keys]
        return refused

    def _set_batch(self, batch, reason, reference_uri) -> list[dict]:
        variables = documents.set_quantities_variables(
            [(q.inventory_item_id, q.location_id, q.quantity) for q in batch],
            reason=reason,
            reference_uri=reference_uri,
        )
        answer = self.call(documents.SET_QUANTITIES, variables, cost=10, is_idempotent=True)
        payload = (answer.get("data") or {}).get("inventorySetQuantities") or {}
        return payload.get("userErrors") or []

    # ----- reading

    def find_variants(self, skus: Iterable[str]) -> dict[str, PublishedVariant]:
        """The shop's variants with these SKUs, by SKU (the first one when a SKU is on several)."""
        found: dict[str, PublishedVariant] = {}
        for batch in _chunks(sorted(set(skus)), SKUS_PER_LOOKUP):
            variables = {"first": documents.LOOKUP_PAGE, "query": documents.sku_search(batch)}
            answer = self.call(
                documents.VARIANTS_BY_SKU,
                variables,
                cost=2 + 3 * documents.LOOKUP_PAGE,
                is_idempotent=True,
            )
            nodes = (((answer.get("data") or {}).get("productVariants")) or {}).get("nodes") or []
            for node in nodes:
                if node.get("sku") in batch and node["sku"] not in found:
                    found[node["sku"]] = PublishedVariant(
                        key="",
                        sku=node["sku"],
                        product_id=node["product"]["id"],
                        variant_id=node["id"],
                        inventory_item_id=node["inventoryItem"]["id"],
                    )
        return found

    def location_ids(self) -> dict[str, str]:
        answer = self.call(documents.LOCATIONS, {}, cost=2 + 250, is_idempotent=True)
        nodes = (((answer.get("data") or {}).get("locations")) or {}).get("nodes") or []
        return {node["name"]: node["id"] for node in nodes}

    # ----- the call

    def call(self, query: str, variables: dict, *, cost: int, is_idempotent: bool) -> dict:
        """Send one GraphQL request within the throttle; the answer's JSON (data, errors)."""
        content = documents.body(query, variables)
        failures = 0
        while True:
            wait = self.gauge.wait_before(cost)
            if wait > 0:
                self.sleep(wait)
            try:
                answer = self._post(content)
            except TransientError as error:
                failures += 1
                if failures >= self.max_attempts or (
                    error.may_have_reached_partner and not is_idempotent
                ):
                    raise
                self.sleep(BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS)) - 1])
                continue
            self.gauge.record(ThrottleStatus.from_extensions(answer.get("extensions")))
            if _is_throttled(answer):
                status = self.gauge.status
                if status is not None and cost > status.maximum:
                    raise _AboveBucket  # never affordable: the caller sends less at once
                failures += 1
                if failures >= self.max_attempts:
                    raise TransientError(
                        f"{self.shop_url} kept throttling after {failures} attempts",
                        code="shopify_throttled",
                    )
                continue  # the gauge now knows how long to wait
            _raise_for_graphql_errors(answer, self.shop_url)
            return answer

    def _post(self, content: bytes) -> dict:
        try:
            response = self.session.post(
                self.endpoint, data=content, timeout=(CONNECT_TIMEOUT_SECONDS, self.timeout)
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            reached = not isinstance(error, (requests.ConnectTimeout,)) and _was_sent(error)
            raise TransientError(
                f"{self.shop_url}: {error.__class__.__name__}",
                code="shopify_unreachable",
                may_have_reached_partner=reached,
            ) from None
        status = response.status_code
        if status == 429:
            raise TransientError(f"{self.shop_url} answered 429", code="shopify_throttled")
        if status >= 500:
            raise TransientError(
                f"{self.shop_url} answered HTTP {status}",
                code="shopify_unavailable",
                may_have_reached_partner=True,
            )
        if status in (401, 403):
            raise ConfigError(
                f"{self.shop_url} refused the access token (HTTP {status})", code="shopify_token"
            )
        if status == 404:
            raise ConfigError(
                f"{self.endpoint} does not exist (shop URL or API version)", code="shopify_url"
            )
        if status != 200:
            raise PermanentError(
                f"{self.shop_url} answered HTTP {status}: {response.text[:200]}",
                code="shopify_http",
            )
        try:
            answer = response.json()
        except ValueError:
            raise PermanentError(
                f"{self.shop_url} answered with no JSON", code="shopify_answer"
            ) from None
        if not isinstance(answer, dict):
            raise PermanentError(f"{self.shop_url} answered {answer!r:.100}", code="shopify_answer")
        return answer


def _chunks(values: Sequence, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _was_sent(error: Exception) -> bool:
    # A read timeout or a connection dropped mid-answer: the request was out.
    return (
        isinstance(error, requests.ReadTimeout)
        or "RemoteDisconnected" in str(error)
        or ("Connection aborted" in str(error))
    )


def _is_throttled(answer: dict) -> bool:
    return any(
        (error.get("extensions") or {}).get("code") == "THROTTLED"
        for error in answer.get("errors") or []
        if isinstance(error, dict)
    )


def _raise_for_graphql_errors(answer: dict, shop_url: str) -> None:
    """Errors that refuse the whole request: our document or its cost does not fit."""
    errors = answer.get("errors")
    if not errors:
        return
    if isinstance(errors, list) and answer.get("data"):
        return  # errors on some aliases: their drafts are refused one by one
    first = errors[0] if isinstance(errors, list) and errors else {"message": str(errors)}
    code = ((first.get("extensions") or {}).get("code") or "graphql").lower()
    raise ConfigError(
        f"{shop_url} refused the request: {first.get('message')}", code=f"shopify_{code}"
    )


def _alias_error(answer: dict, alias: str) -> dict | None:
    for error in answer.get("errors") or []:
        if isinstance(error, dict) and (error.get("path") or [None])[0] == alias:
            return error
    return None


def _refusal(draft: VariantDraft, user_error: dict) -> RefusedVariant:
    path = [str(part) for part in user_error.get("field") or []]
    named = [part for part in path if not part.isdigit() and part not in ("input", "variants")]
    return RefusedVariant(
        key=draft.key,
        sku=draft.sku,
        field=".".join(named),
        path=".".join(path),
        message=user_error.get("message") or "",
        code=user_error.get("code") or "",
    )


def _graphql_refusal(draft: VariantDraft, error: dict) -> RefusedVariant:
    code = (error.get("extensions") or {}).get("code") or "GRAPHQL_ERROR"
    return RefusedVariant(draft.key, draft.sku, "", "", error.get("message") or "", code)


def _product_set_result(draft: VariantDraft, answer: dict, alias: str):
    payload = (answer.get("data") or {}).get(alias)
    if payload is None:
        return _graphql_refusal(draft, _alias_error(answer, alias) or {"message": "no answer"})
    if payload.get("userErrors"):
        return _refusal(draft, payload["userErrors"][0])
    product = payload.get("product") or {}
    nodes = ((product.get("variants") or {}).get("nodes")) or []
    variant = next((n for n in nodes if n.get("sku") == draft.sku), nodes[0] if nodes else None)
    if variant is None:
        return RefusedVariant(
            draft.key, draft.sku, "", "", "no variant in the answer", "NO_VARIANT"
        )
    return PublishedVariant(
        draft.key, draft.sku, product["id"], variant["id"], variant["inventoryItem"]["id"]
    )


def _bulk_update_result(draft: VariantDraft, answer: dict, alias: str):
    payload = (answer.get("data") or {}).get(alias)
    if payload is None:
        return _graphql_refusal(draft, _alias_error(answer, alias) or {"message": "no answer"})
    if payload.get("userErrors"):
        return _refusal(draft, payload["userErrors"][0])
    return PublishedVariant(draft.key, draft.sku, draft.product_id, draft.variant_id, "")


def _status_result(draft: VariantDraft, answer: dict, alias: str):
    payload = (answer.get("data") or {}).get(alias)
    if payload is None:
        return _graphql_refusal(draft, _alias_error(answer, alias) or {"message": "no answer"})
    if payload.get("userErrors"):
        return _refusal(draft, payload["userErrors"][0])
    return PublishedVariant(draft.key, draft.sku, draft.product_id, draft.variant_id, "")


def _refused_quantities(batch: Sequence[QuantityDraft], errors: list[dict]) -> list[RefusedVariant]:
    refused = {}
    for error in errors:
        path = [str(p) for p in error.get("field") or []]
        if (
            len(path) >= 3
            and path[1] == "quantities"
            and path[2].isdigit()
            and int(path[2]) < len(batch)
        ):
            draft = batch[int(path[2])]
            refused[draft.key] = RefusedVariant(
                draft.key,
                "",
                path[3] if len(path) > 3 else "quantities",
                ".".join(path),
                error.get("message") or "",
                error.get("code") or "",
            )
    return list(refused.values())


def _refuse_all(batch: Sequence[QuantityDraft], error: dict) -> list[RefusedVariant]:
    path = ".".join(str(p) for p in error.get("field") or [])
    field = path.rsplit(".", 1)[-1]
    return [
        RefusedVariant(q.key, "", field, path, error.get("message") or "", error.get("code") or "")
        for q in batch
    ]
