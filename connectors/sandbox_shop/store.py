"""What the sandbox shop keeps: products, variants, inventory items, locations, levels.

In memory, guarded by the caller (the app runs every request under one lock),
with an optional JSON file written by :meth:`ShopStore.dump` and read back at
start. The three mutations follow Shopify's rules that matter to a publisher:

- ``product_set`` creates a product, or updates the one named by
  ``identifier``/``input.id`` (or found by handle); its variant list replaces
  the product's (matched by id, then by option values; the rest are deleted).
  Any user error changes nothing.
- ``update_variants`` changes some variants of one product; with
  ``allowPartialUpdates`` false (the default) any user error changes nothing.
- ``inventory.set_quantities`` sets absolute quantities (``available`` or
  ``on_hand``), all or nothing, with the compare-and-swap rules of the API version.

Every created variant is counted per SKU in ``created_by_sku`` so a test can
prove nothing was created twice.
"""

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

MAX_VARIANTS_PER_PRODUCT = 2048  # Shopify's default limit per product
# Inventory items are numbered apart from variants (one each), so mixing the two ids is caught.
ITEM_OFFSET = 40_000_000_000


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def number_of(global_id, kind: str) -> int | None:
    """The number in ``gid://shopify/<kind>/<n>``; None for anything else."""
    prefix = f"gid://shopify/{kind}/"
    if isinstance(global_id, str) and global_id.startswith(prefix):
        tail = global_id[len(prefix) :]
        if tail.isdigit():
            return int(tail)
    return None


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    sku: str | None
    barcode: str | None
    price: str
    options: list[list[str]]  # [[option name, value], ...]
    updated_at: str = field(default_factory=now)


@dataclass
class Product:
    id: int
    title: str
    handle: str
    status: str = "ACTIVE"
    vendor: str = ""
    product_type: str = ""
    options: list[dict] = field(default_factory=list)  # {"name", "values"}
    variant_ids: list[int] = field(default_factory=list)
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


class UserErrors(Exception):
    """The mutation's user errors: ``[{"field": [...], "message", "code"}]``; nothing changed."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message"])
        self.errors = errors


def user_error(path: list, message: str, code: str) -> dict:
    return {"field": [str(part) for part in path], "message": message, "code": code}


class ShopStore:
    """The shop's records; not thread-safe by itself (the app serialises requests)."""

    def __init__(self, locations: list[str] | None = None, dump_path: str | None = None):
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.levels: dict[tuple[int, int], dict[str, int]] = {}  # (item, location) -> quantities
        self.locations: dict[int, str] = {}
        self.created_by_sku: Counter[str] = Counter()
        self.adjustment_groups = 0
        self._next = {"Product": 1_000_000_001, "ProductVariant": 4_000_000_001}
        self.dump_path = Path(dump_path) if dump_path else None
        if self.dump_path and self.dump_path.exists():
            self._load(json.loads(self.dump_path.read_text()))
        for name in locations or ["Shop location"]:
            if name not in self.locations.values():
                self.locations[len(self.locations) + 1] = name

    # ----- reads

    def variant_by_item(self, item_id: int) -> Variant | None:
        variant = self.variants.get((item_id or 0) - ITEM_OFFSET)
        return variant if variant is not None and variant.inventory_item_id == item_id else None

    def location_named(self, name: str) -> int | None:
        return next((lid for lid, known in self.locations.items() if known == name), None)

    def quantity(self, item_id: int, location_id: int, name: str = "available") -> int:
        return self.levels.get((item_id, location_id), {}).get(name, 0)

    # ----- productSet

    def product_set(self, data: dict, identifier: dict | None) -> Product:
        product = self._product_to_set(data, identifier or {})
        errors = self._product_errors(data, product)
        if errors:
            raise UserErrors(errors)
        if product is None:
            number = self._take("Product")
            product = Product(
                id=number,
                title=data["title"],
                handle=data.get("handle") or _handle(data["title"], number),
            )
            self.products[number] = product
        self._apply_product_fields(product, data)
        if data.get("variants") is not None:
            self._set_variants(product, data["variants"])
        product.updated_at = now()
        return product

    def _product_to_set(self, data: dict, identifier: dict) -> Product | None:
        wanted = identifier.get("id") or data.get("id")
        if wanted:
            number = number_of(wanted, "Product")
            if number not in self.products:
                path = ["identifier", "id"] if identifier.get("id") else ["input", "id"]
                raise UserErrors(
                    [user_error(path, "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
                )
            return self.products[number]
        handle = identifier.get("handle")
        if handle:
            return next((p for p in self.products.values() if p.handle == handle), None)
        return None

    def _product_errors(self, data: dict, product: Product | None) -> list[dict]:
        errors = []
        title = data.get("title")
        if product is None and not (title or "").strip():
            errors.append(user_error(["input", "title"], "Title can't be blank", "BLANK"))
        elif title is not None and len(title) > 255:
            errors.append(
                user_error(
                    ["input", "title"], "Title is too long (maximum is 255 characters)", "TOO_LONG"
                )
            )
        variants = data.get("variants") or []
        if len(variants) > MAX_VARIANTS_PER_PRODUCT:
            errors.append(
                user_error(
                    ["input", "variants"],
                    f"Product can have a maximum of {MAX_VARIANTS_PER_PRODUCT} variants",
                    "VARIANTS_OVER_LIMIT",
                )
            )
        option_names = {o.get("name") for o in data.get("productOptions") or []}
        if not option_names and product is not None:
            option_names = {o["name"] for o in product.options}
        for index, variant in enumerate(variants):
            path = ["input", "variants", index]
            for position, value in enumerate(variant.get("optionValues") or []):
                if option_names and value.get("optionName") not in option_names:
                    errors.append(
                        user_error(
                            [*path, "optionValues", position],
                            f"Option does not exist: {value.get('optionName')}",
                            "OPTION_DOES_NOT_EXIST",
                        )
                    )
            if variant.get("id") and number_of(variant["id"], "ProductVariant") not in (
                product.variant_ids if product else []
            ):
                errors.append(
                    user_error(
                        [*path, "id"],
                        "Product variant does not exist",
                        "PRODUCT_VARIANT_DOES_NOT_EXIST",
                    )
                )
            errors.extend(_variant_value_errors(variant, path, "INVALID_VARIANT"))
        return errors

    def _apply_product_fields(self, product: Product, data: dict) -> None:
        for name, attribute in (
            ("title", "title"),
            ("handle", "handle"),
            ("vendor", "vendor"),
            ("productType", "product_type"),
            ("status", "status"),
        ):
            if data.get(name) is not None:
                setattr(product, attribute, data[name])
        if data.get("productOptions") is not None:
            product.options = [
                {
                    "name": o.get("name") or "",
                    "values": [v.get("name") for v in o.get("values") or []],
                }
                for o in data["productOptions"]
            ]

    def _set_variants(self, product: Product, wanted: list[dict]) -> None:
        existing = {vid: self.variants[vid] for vid in product.variant_ids}
        by_options = {_options_key(v.options): v for v in existing.values()}
        kept = []
        for data in wanted:
            options = [
                [o.get("optionName") or "", o.get("name") or ""] for o in data["optionValues"]
            ]
            variant = existing.get(number_of(data.get("id"), "ProductVariant")) or by_options.get(
                _options_key(options)
            )
            is_new = variant is None or variant.id in kept
            if is_new:
                variant = self._new_variant(product, options)
            variant.options = options
            _apply_variant_fields(variant, data)
            if is_new:
                self.created_by_sku[variant.sku or ""] += 1
            kept.append(variant.id)
            for quantity in data.get("inventoryQuantities") or []:
                location = number_of(quantity["locationId"], "Location")
                if location in self.locations:
                    level = self.levels.setdefault((variant.inventory_item_id, location), {})
                    level[quantity["name"]] = quantity["quantity"]
        for vid in set(product.variant_ids) - set(kept):
            del self.variants[vid]
        product.variant_ids = kept

    def _new_variant(self, product: Product, options: list[list[str]]) -> Variant:
        number = self._take("ProductVariant")
        variant = Variant(number, product.id, number + ITEM_OFFSET, None, None, "0.00", options)
        self.variants[number] = variant
        return variant

    # ----- productVariantsBulkUpdate

    def update_variants(self, product_id: str, changes: list[dict], partial: bool) -> tuple:
        """(product, updated variants, user errors) -- errors leave the rest as ``partial`` says."""
        product = self.products.get(number_of(product_id, "Product"))
        if product is None:
            raise UserErrors(
                [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            )
        errors, valid = [], []
        for index, data in enumerate(changes):
            path = ["variants", index]
            found = _variant_errors_for_update(product, data, path)
            found += _variant_value_errors(data, path, "INVALID_INPUT")
            errors.extend(found)
            if not found:
                valid.append(data)
        if errors and not partial:
            raise UserErrors(errors)
        updated = []
        for data in valid:
            variant = self.variants[number_of(data["id"], "ProductVariant")]
            _apply_variant_fields(variant, data)
            updated.append(variant)
        product.updated_at = now()
        return product, updated, errors

    # ----- persistence

    def _take(self, kind: str) -> int:
        number = self._next[kind]
        self._next[kind] += 1
        return number

    def snapshot(self) -> dict:
        return {
            "products": [asdict(p) for p in self.products.values()],
            "variants": [asdict(v) for v in self.variants.values()],
            "levels": [
                [item, location, quantities] for (item, location), quantities in self.levels.items()
            ],
            "locations": self.locations,
            "created_by_sku": dict(self.created_by_sku),
            "next": self._next,
            "adjustment_groups": self.adjustment_groups,
        }

    def dump(self) -> None:
        """Write everything to ``dump_path`` (atomically: a temporary file renamed)."""
        if self.dump_path is None:
            return
        temporary = self.dump_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.snapshot()))
        os.replace(temporary, self.dump_path)

    def _load(self, data: dict) -> None:
        self.products = {p["id"]: Product(**p) for p in data["products"]}
        self.variants = {v["id"]: Variant(**v) for v in data["variants"]}
        self.levels = {(item, location): q for item, location, q in data["levels"]}
        self.locations = {int(k): v for k, v in data["locations"].items()}
        self.created_by_sku = Counter(data["created_by_sku"])
        self._next = data["next"]
        self.adjustment_groups = data["adjustment_groups"]


def _handle(title: str, number: int) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return f"{slug or 'product'}-{number}"


def _options_key(options: list[list[str]]) -> tuple:
    return tuple(tuple(pair) for pair in options)


def _sku_of(data: dict):
    item = data.get("inventoryItem") or {}
    return item.get("sku") if item.get("sku") is not None else data.get("sku")


def _apply_variant_fields(variant: Variant, data: dict) -> None:
    sku = _sku_of(data)
    if sku is not None:
        variant.sku = sku
    if data.get("barcode") is not None:
        variant.barcode = data["barcode"]
    if data.get("price") is not None:
        variant.price = data["price"]
    variant.updated_at = now()


def _variant_value_errors(data: dict, path: list, code: str) -> list[dict]:
    errors = []
    if data.get("price") is not None and Decimal(data["price"]) < 0:
        errors.append(
            user_error([*path, "price"], "Price must be greater than or equal to 0", code)
        )
    if data.get("barcode") is not None and len(data["barcode"]) > 255:
        errors.append(
            user_error([*path, "barcode"], "Barcode is too long (maximum is 255 characters)", code)
        )
    sku = _sku_of(data)
    if sku is not None and len(sku) > 255:
        field_path = (
            [*path, "inventoryItem", "sku"]
            if (data.get("inventoryItem") or {}).get("sku")
            else [*path, "sku"]
        )
        errors.append(user_error(field_path, "SKU is too long (maximum is 255 characters)", code))
    return errors


def _variant_errors_for_update(product: Product, data: dict, path: list) -> list[dict]:
    if not data.get("id"):
        return [
            user_error(
                [*path, "id"],
                "Product variant is missing ID attribute",
                "PRODUCT_VARIANT_ID_MISSING",
            )
        ]
    if number_of(data["id"], "ProductVariant") not in product.variant_ids:
        return [
            user_error(
                [*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"
            )
        ]
    return []
