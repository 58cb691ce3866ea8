"""The GraphQL documents the Shopify Admin client sends, and their variables.

Several mutations travel in one request under aliases (``p0``, ``p1``, ...):
Shopify charges each mutation its own cost (10 points) whatever the request,
so batching saves round trips, not points; the single-request limit is
1,000 points, so at most 100 mutations go together. Bodies are built here
once so that the benchmark's bare loop can send exactly the same bytes.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

MUTATION_COST = 10
LOOKUP_PAGE = 100  # variants a SKU lookup asks for; its cost is about 2 + 2 per variant

USER_ERRORS = "userErrors { field message code }"
PRODUCT_SET_FIELDS = (
    "product { id variants(first: 250) { nodes { id sku inventoryItem { id } } } } " + USER_ERRORS
)
BULK_UPDATE_FIELDS = "productVariants { id sku } " + USER_ERRORS
SET_QUANTITIES = (
    "mutation SetAvailable($input: InventorySetQuantitiesInput!) { "
    "inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { id } "
    + USER_ERRORS
    + " } }"
)
VARIANTS_BY_SKU = (
    "query VariantsBySku($first: Int!, $query: String!) { "
    "productVariants(first: $first, query: $query) { "
    "nodes { id sku product { id } inventoryItem { id } } } }"
)
LOCATIONS = "query Locations { locations(first: 250) { nodes { id name } } }"


@dataclass(frozen=True)
class VariantDraft:
    """One listing as Shopify should show it: a product with one variant.

    ``key`` is the caller's reference (a listing id), returned with the
    result. ``product_id``/``variant_id`` are Shopify's ids when the variant
    exists (updates); ``price`` is a decimal string.
    """

    key: str
    title: str
    sku: str
    barcode: str
    price: str
    product_id: str = ""
    variant_id: str = ""


def body(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()


def product_set_request(drafts: Sequence[VariantDraft]) -> tuple[str, dict]:
    """One ``productSet`` (synchronous) per draft: a product titled by the draft, one variant."""
    declarations = ", ".join(f"$p{i}: ProductSetInput!" for i in range(len(drafts)))
    fields = " ".join(
        f"p{i}: productSet(input: $p{i}, synchronous: true) {{ {PRODUCT_SET_FIELDS} }}"
        for i in range(len(drafts))
    )
    query = f"mutation PublishProducts({declarations}) {{ {fields} }}"
    return query, {f"p{i}": product_set_input(draft) for i, draft in enumerate(drafts)}


def product_set_input(draft: VariantDraft) -> dict:
    return {
        "title": draft.title,
        "status": "ACTIVE",
        "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
        "variants": [
            {
                "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                "sku": draft.sku,
                "barcode": draft.barcode or None,
                "price": draft.price,
                "inventoryItem": {"tracked": True},
            }
        ],
    }


def bulk_update_request(drafts: Sequence[VariantDraft]) -> tuple[str, dict]:
    """One ``productVariantsBulkUpdate`` per draft's product: price, barcode and SKU."""
    declarations = ", ".join(
        f"$product{i}: ID!, $variants{i}: [ProductVariantsBulkInput!]!" for i in range(len(drafts))
    )
    fields = " ".join(
        f"u{i}: productVariantsBulkUpdate(productId: $product{i}, variants: $variants{i}) "
        f"{{ {BULK_UPDATE_FIELDS} }}"
        for i in range(len(drafts))
    )
    variables = {}
    for i, draft in enumerate(drafts):
        variables[f"product{i}"] = draft.product_id
        variables[f"variants{i}"] = [
            {
                "id": draft.variant_id,
                "price": draft.price,
                "barcode": draft.barcode or None,
                "inventoryItem": {"sku": draft.sku},
            }
        ]
    return f"mutation UpdateVariants({declarations}) {{ {fields} }}", variables


def product_status_request(drafts: Sequence[VariantDraft], status: str) -> tuple[str, dict]:
    """One ``productSet`` per draft's product that changes only its status."""
    declarations = ", ".join(f"$s{i}: ProductSetInput!" for i in range(len(drafts)))
    fields = " ".join(
        f"s{i}: productSet(input: $s{i}, synchronous: true) {{ product {{ id }} {USER_ERRORS} }}"
        for i in range(len(drafts))
    )
    variables = {f"s{i}": {"id": d.product_id, "status": status} for i, d in enumerate(drafts)}
    return f"mutation SetStatus({declarations}) {{ {fields} }}", variables


def set_quantities_variables(quantities, *, reason: str, reference_uri: str | None) -> dict:
    """``quantities``: (inventory item id, location id, quantity) triples.

    ``changeFromQuantity`` is null on purpose: the platform is the source of
    truth for available-to-sell and sets it absolutely (Shopify's compare-and-
    swap guards against concurrent writers we do not have). From API 2026-04
    the field must be present, null included.
    """
    return {
        "input": {
            "name": "available",
            "reason": reason,
            "referenceDocumentUri": reference_uri,
            "quantities": [
                {
                    "inventoryItemId": item,
                    "locationId": location,
                    "quantity": quantity,
                    "changeFromQuantity": None,
                }
                for item, location, quantity in quantities
            ],
        }
    }


def sku_search(skus: Sequence[str]) -> str:
    """Shopify's search syntax for any of ``skus``: ``sku:"A" OR sku:"B"``."""
    return " OR ".join(f'sku:"{sku}"' for sku in skus)
