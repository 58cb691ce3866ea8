"""GraphQL resolvers: the schema's root fields over the :class:`ShopStore`.

Objects are handed to graphql-core as dicts whose fields with arguments (or
that are costly) are functions, which graphql-core's default resolver calls
only when the request selects them. ``info.context`` is a
:class:`RequestContext`: the store, the faults and the API version.
"""

from dataclasses import dataclass

from graphql import GraphQLError

from .faults import FaultSettings
from .inventory import set_quantities
from .schema import needs_change_from_quantity
from .store import ShopStore, UserErrors, gid, number_of, user_error

MAX_PAGE = 250
MAX_INPUT_SIZE = 250


@dataclass
class RequestContext:
    store: ShopStore
    faults: FaultSettings
    version: str


# ----- views


def product_view(store: ShopStore, product) -> dict:
    return {
        "id": gid("Product", product.id),
        "title": product.title,
        "handle": product.handle,
        "status": product.status,
        "vendor": product.vendor,
        "productType": product.product_type,
        "options": lambda info: [
            {
                "id": gid("ProductOption", product.id * 100 + position),
                "name": option["name"],
                "position": position + 1,
                "values": option["values"],
            }
            for position, option in enumerate(product.options)
        ],
        "variants": lambda info, first, after=None: connection(
            [variant_view(store, store.variants[v]) for v in product.variant_ids], first, after
        ),
        "createdAt": product.created_at,
        "updatedAt": product.updated_at,
    }


def variant_view(store: ShopStore, variant) -> dict:
    return {
        "id": gid("ProductVariant", variant.id),
        "title": " / ".join(value for _, value in variant.options) or "Default Title",
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": variant.price,
        "product": lambda info: product_view(store, store.products[variant.product_id]),
        "inventoryItem": lambda info: item_view(store, variant),
        "selectedOptions": [{"name": n, "value": v} for n, v in variant.options],
        "inventoryQuantity": lambda info: sum(
            q.get("available", 0)
            for (item, _), q in store.levels.items()
            if item == variant.inventory_item_id
        ),
        "updatedAt": variant.updated_at,
    }


def item_view(store: ShopStore, variant) -> dict:
    item = variant.inventory_item_id
    return {
        "id": gid("InventoryItem", item),
        "sku": variant.sku,
        "tracked": True,
        "variant": lambda info: variant_view(store, variant),
        "inventoryLevel": lambda info, locationId: level_view(
            store, item, number_of(locationId, "Location")
        ),
        "inventoryLevels": lambda info, first: connection(
            [level_view(store, item, location) for location in store.locations], first
        ),
    }


def level_view(store: ShopStore, item: int, location: int | None) -> dict | None:
    if location not in store.locations:
        return None
    quantities = store.levels.get((item, location), {})
    return {
        "id": f"gid://shopify/InventoryLevel/{item}?inventory_item_id={item}&location_id={location}",
        "location": location_view(store, location),
        "quantities": lambda info, names: [
            {"name": name, "quantity": quantities.get(name, 0), "updatedAt": None} for name in names
        ],
    }


def location_view(store: ShopStore, location: int) -> dict:
    return {"id": gid("Location", location), "name": store.locations[location], "isActive": True}


def connection(nodes: list, first: int, after: str | None = None) -> dict:
    if first > MAX_PAGE:
        raise GraphQLError(f"The first argument cannot exceed {MAX_PAGE}.")
    start = int(after) + 1 if after and after.isdigit() else 0
    page = nodes[start : start + first]
    cursors = [str(start + offset) for offset in range(len(page))]
    return {
        "nodes": page,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page, strict=True)],
        "pageInfo": {
            "hasNextPage": start + first < len(nodes),
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def search_terms(query: str | None) -> list[tuple[str, str]]:
    """Shopify's search syntax, the part used here: ``sku:A OR sku:"B C"`` -> [(sku, A), ...]."""
    terms = []
    for term in (query or "").split(" OR "):
        name, _, value = term.strip().partition(":")
        if value:
            terms.append((name.strip(), value.strip().strip('"')))
    return terms


def _matches(terms: list[tuple[str, str]], values: dict) -> bool:
    return not terms or any(values.get(name) == value for name, value in terms)


# ----- root fields: queries


def resolve_product(_root, info, id):
    store = info.context.store
    product = store.products.get(number_of(id, "Product"))
    return product_view(store, product) if product else None


def resolve_products(_root, info, first, after=None, query=None):
    store, terms = info.context.store, search_terms(query)
    found = [
        product_view(store, p)
        for p in store.products.values()
        if _matches(terms, {"title": p.title, "handle": p.handle, "id": str(p.id)})
    ]
    return connection(found, first, after)


def resolve_product_variants(_root, info, first, after=None, query=None):
    store, terms = info.context.store, search_terms(query)
    found = [
        variant_view(store, v)
        for v in store.variants.values()
        if _matches(terms, {"sku": v.sku, "barcode": v.barcode, "id": str(v.id)})
    ]
    return connection(found, first, after)


def resolve_inventory_item(_root, info, id):
    store = info.context.store
    variant = store.variant_by_item(number_of(id, "InventoryItem"))
    return item_view(store, variant) if variant else None


def resolve_locations(_root, info, first, after=None, query=None):
    store, terms = info.context.store, search_terms(query)
    found = [
        location_view(store, lid)
        for lid, name in store.locations.items()
        if _matches(terms, {"name": name, "id": str(lid)})
    ]
    return connection(found, first, after)


# ----- root fields: mutations


def resolve_product_set(_root, info, input, synchronous=True, identifier=None):
    context: RequestContext = info.context
    try:
        _injected_errors(
            context.faults,
            [(["input", "variants", i], v) for i, v in enumerate(input.get("variants") or [])],
            "INVALID_VARIANT",
            lambda variant: variant.get("sku") or (variant.get("inventoryItem") or {}).get("sku"),
        )
        product = context.store.product_set(input, identifier)
    except UserErrors as refused:
        return {"product": None, "productSetOperation": None, "userErrors": refused.errors}
    view = product_view(context.store, product)
    operation = {
        "id": gid("ProductSetOperation", product.id),
        "status": "COMPLETE",
        "product": view,
    }
    return {"product": view, "productSetOperation": operation, "userErrors": []}


def resolve_variants_bulk_update(_root, info, productId, variants, allowPartialUpdates=False):
    context: RequestContext = info.context
    store = context.store
    _check_input_size(variants, "variants", MAX_INPUT_SIZE)

    def sku_of(change):
        new = (change.get("inventoryItem") or {}).get("sku")
        current = store.variants.get(number_of(change.get("id"), "ProductVariant"))
        return new if new is not None else (current.sku if current else None)

    try:
        injected = _injected_errors(
            context.faults,
            [(["variants", i], v) for i, v in enumerate(variants)],
            "INVALID_INPUT",
            sku_of,
            raise_them=not allowPartialUpdates,
        )
        refused_paths = {tuple(e["field"][:2]) for e in injected}
        allowed = [v for i, v in enumerate(variants) if ("variants", str(i)) not in refused_paths]
        product, updated, errors = store.update_variants(productId, allowed, allowPartialUpdates)
    except UserErrors as refused:
        return {"product": None, "productVariants": None, "userErrors": refused.errors}
    return {
        "product": product_view(store, product),
        "productVariants": [variant_view(store, v) for v in updated],
        "userErrors": injected + errors,
    }


def resolve_inventory_set_quantities(_root, info, input):
    context: RequestContext = info.context
    store = context.store
    try:
        number, changes = set_quantities(
            store, input, change_from_required=needs_change_from_quantity(context.version)
        )
    except UserErrors as refused:
        return {"inventoryAdjustmentGroup": None, "userErrors": refused.errors}
    group = {
        "id": gid("InventoryAdjustmentGroup", number),
        "createdAt": None,
        "reason": input["reason"],
        "referenceDocumentUri": input.get("referenceDocumentUri"),
        "changes": [
            {
                "name": name,
                "delta": delta,
                "quantityAfterChange": after,
                "item": item_view(store, store.variant_by_item(item)),
                "location": location_view(store, location),
            }
            for (item, location), name, delta, after in changes
        ],
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _check_input_size(values, name: str, limit: int) -> None:
    if values is not None and len(values) > limit:
        raise GraphQLError(
            f"The input array size of {len(values)} is greater than the maximum allowed "
            f"of {limit}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED", "problems": [{"path": [name]}]},
        )


def _injected_errors(faults, variants, code, sku_of, *, raise_them=True) -> list[dict]:
    errors = [
        user_error(
            [*path, faults.fail_field],
            f"{faults.fail_field.capitalize()} is invalid for SKU {sku_of(variant)} "
            "(sandbox fault injection)",
            code,
        )
        for path, variant in variants
        if faults.fails(sku_of(variant))
    ]
    if errors and raise_them:
        raise UserErrors(errors)
    return errors


def attach(schema) -> None:
    """Set the root fields' resolvers on ``schema`` (once per schema)."""
    for root_type in (schema.query_type, schema.mutation_type):
        for name, root_field in root_type.fields.items():
            root_field.resolve = ROOT[name]


ROOT = {
    "product": resolve_product,
    "products": resolve_products,
    "productVariants": resolve_product_variants,
    "inventoryItem": resolve_inventory_item,
    "locations": resolve_locations,
    "productSet": resolve_product_set,
    "productVariantsBulkUpdate": resolve_variants_bulk_update,
    "inventorySetQuantities": resolve_inventory_set_quantities,
}
