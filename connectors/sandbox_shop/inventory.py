"""``inventorySetQuantities`` in the sandbox shop: absolute quantities, all or nothing.

From API 2026-04 every quantity must carry ``changeFromQuantity`` (null: no
compare); before, ``compareQuantity`` is checked unless ``ignoreCompareQuantity``.
Setting ``available`` moves ``on_hand`` by the same delta, as in Shopify.
"""

from .store import ShopStore, UserErrors, number_of, user_error

MAX_QUANTITY = 1_000_000_000
REASONS = frozenset(
    [
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    ]
)


def set_quantities(store: ShopStore, data: dict, *, change_from_required: bool) -> tuple[int, list]:
    """Set absolute quantities; (adjustment group number, changes) or UserErrors."""
    errors = []
    name = data["name"]
    if name not in ("available", "on_hand"):
        errors.append(
            user_error(
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
                "INVALID_NAME",
            )
        )
    if data["reason"] not in REASONS:
        errors.append(
            user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
        )
    seen = set()
    for index, quantity in enumerate(data["quantities"]):
        errors.extend(
            _quantity_errors(
                store,
                quantity,
                ["input", "quantities", index],
                name,
                data,
                seen,
                change_from_required,
            )
        )
    if errors:
        raise UserErrors(errors)
    changes = []
    for quantity in data["quantities"]:
        key = (
            number_of(quantity["inventoryItemId"], "InventoryItem"),
            number_of(quantity["locationId"], "Location"),
        )
        level = store.levels.setdefault(key, {})
        delta = quantity["quantity"] - level.get(name, 0)
        level[name] = quantity["quantity"]
        changes.append((key, name, delta, quantity["quantity"]))
        # Setting "available" moves "on_hand" by the same delta, as in Shopify.
        other = "on_hand" if name == "available" else "available"
        level[other] = level.get(other, 0) + delta
        changes.append((key, other, delta, level[other]))
    store.adjustment_groups += 1
    return store.adjustment_groups, changes


def _quantity_errors(
    store: ShopStore, quantity, path, name, data, seen, change_from_required
) -> list[dict]:
    errors = []
    item = number_of(quantity["inventoryItemId"], "InventoryItem")
    location = number_of(quantity["locationId"], "Location")
    if store.variant_by_item(item) is None:
        errors.append(
            user_error(
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
                "INVALID_INVENTORY_ITEM",
            )
        )
    if location not in store.locations:
        errors.append(
            user_error(
                [*path, "locationId"],
                "The specified location could not be found.",
                "INVALID_LOCATION",
            )
        )
    if (item, location) in seen:
        errors.append(
            user_error(
                [*path],
                "The combination of inventoryItemId and locationId must be unique.",
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
            )
        )
    seen.add((item, location))
    if quantity["quantity"] > MAX_QUANTITY:
        errors.append(
            user_error(
                [*path, "quantity"],
                "The quantity can't be higher than 1,000,000,000.",
                "INVALID_QUANTITY_TOO_HIGH",
            )
        )
    if quantity["quantity"] < -MAX_QUANTITY:
        errors.append(
            user_error(
                [*path, "quantity"],
                "The quantity can't be lower than -1,000,000,000.",
                "INVALID_QUANTITY_TOO_LOW",
            )
        )
    if errors:
        return errors
    current = store.quantity(item, location, name)
    if change_from_required or "changeFromQuantity" in quantity:
        if "changeFromQuantity" not in quantity:
            return [
                user_error(
                    [*path, "changeFromQuantity"],
                    "changeFromQuantity is required; pass null to skip the check.",
                    "CHANGE_FROM_QUANTITY_REQUIRED",
                )
            ]
        expected = quantity["changeFromQuantity"]
        if expected is not None and expected != current:
            return [
                user_error(
                    [*path, "changeFromQuantity"],
                    "The specified compare quantity does not match the current quantity.",
                    "CHANGE_FROM_QUANTITY_STALE",
                )
            ]
        return []
    if not data.get("ignoreCompareQuantity"):
        if quantity.get("compareQuantity") is None:
            return [
                user_error(
                    [*path, "compareQuantity"],
                    "The compareQuantity argument must be given to each quantity "
                    "or ignored using ignoreCompareQuantity.",
                    "COMPARE_QUANTITY_REQUIRED",
                )
            ]
        if quantity["compareQuantity"] != current:
            return [
                user_error(
                    [*path, "compareQuantity"],
                    "The specified compare quantity does not match the current quantity.",
                    "COMPARE_QUANTITY_STALE",
                )
            ]
    return []
