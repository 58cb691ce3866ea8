"""Read what a chunk's available-to-sell is made of, set-based, a few queries per channel.

Which side the 846 speaks: the warehouse reports ERP materials (its
``StockPosition.material``); channels sell channel SKUs at channel locations.
``SkuMapping`` (channel SKU → ERP material) and ``LocationMapping`` (channel
location → the warehouse serving it) in force today join the two. A location
no warehouse serves has no 846 and so no available-to-sell here.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q

from syncplatform.fulfillment.models import ShipmentLine, StockPosition
from syncplatform.mappings.models import LocationMapping, SkuMapping
from syncplatform.orders import reads as orders

from ..models import Availability, RecomputeChunk, SafetyStock
from ..rule import Components


@dataclass(frozen=True)
class Target:
    """One (channel, channel SKU, channel location) to compute, with the ERP side it maps to."""

    channel_id: int
    channel_sku: str
    channel_location: str
    warehouse_id: int
    material: str


@dataclass(frozen=True)
class Computed:
    target: Target
    components: Components
    stock_as_of: datetime | None


def targets_of(chunk: RecomputeChunk) -> list[Target]:
    """The keys a chunk covers, through the mappings in force today."""
    if chunk.channel_id:
        return _targets_at_location(chunk.channel_id, chunk.channel_location, chunk.skus)
    return _targets_of_materials(chunk.warehouse_id, chunk.materials)


def _targets_of_materials(warehouse_id: int, materials: list[str]) -> list[Target]:
    locations = defaultdict(list)
    served = LocationMapping.objects.in_force().filter(warehouse_id=warehouse_id)
    for channel_id, location in served.values_list("channel_id", "channel_location"):
        locations[channel_id].append(location)
    if not locations:
        return []
    mapped = SkuMapping.objects.in_force().filter(
        channel_id__in=list(locations), erp_material__in=materials
    )
    return [
        Target(channel_id, sku, location, warehouse_id, material)
        for channel_id, sku, material in mapped.values_list(
            "channel_id", "channel_sku", "erp_material"
        )
        for location in locations[channel_id]
    ]


def _targets_at_location(channel_id: int, location: str, skus: list[str]) -> list[Target]:
    warehouse_id = (
        LocationMapping.objects.in_force()
        .filter(channel_id=channel_id, channel_location=location, warehouse__isnull=False)
        .values_list("warehouse_id", flat=True)
        .first()
    )
    if warehouse_id is None:
        return []
    mapped = SkuMapping.objects.in_force().filter(channel_id=channel_id, channel_sku__in=skus)
    targets = [
        Target(channel_id, sku, location, warehouse_id, material)
        for sku, material in mapped.values_list("channel_sku", "erp_material")
    ]
    return targets + _unmapped_with_figures(channel_id, location, warehouse_id, skus, targets)


def _unmapped_with_figures(channel_id, location, warehouse_id, skus, targets) -> list[Target]:
    """SKUs that have a figure here but no mapping in force any more (deleted, renamed,
    expired): computed with no material, so 0, and the channel is told."""
    mapped = {t.channel_sku for t in targets}
    figured = Availability.objects.filter(
        channel_id=channel_id, channel_location=location, channel_sku__in=skus
    ).values_list("channel_sku", flat=True)
    return [
        Target(channel_id, sku, location, warehouse_id, "") for sku in sorted(set(figured) - mapped)
    ]


def compute(targets: list[Target]) -> list[Computed]:
    """Every target's components (one warehouse's positions; per channel: orders, safety)."""
    by_channel: dict[int, list[Target]] = defaultdict(list)
    for target in targets:
        by_channel[target.channel_id].append(target)
    positions = _positions(targets)
    computed = []
    for channel_id, channel_targets in by_channel.items():
        locations = {t.channel_location for t in channel_targets}
        skus = {t.channel_sku for t in channel_targets}
        open_orders = orders.open_quantities(channel_id, locations, skus)
        shipments = _shipments(channel_id, channel_targets, positions)
        safety = _safety_stock(channel_id, locations)
        for target in channel_targets:
            stock, as_of = positions.get((target.warehouse_id, target.material), (None, None))
            key = (target.channel_location, target.channel_sku)
            since = _shipped_since(shipments.get(key, ()), as_of.date() if as_of else None)
            parts = Components(stock, open_orders.get(key, 0), since, _safety_of(safety, *key))
            computed.append(Computed(target, parts, as_of))
    return computed


def _positions(targets: list[Target]) -> dict[tuple[int, str], tuple[Decimal | None, datetime]]:
    """``(warehouse, material): (on hand, else available; as of)``."""
    found = {}
    by_warehouse: dict[int, set[str]] = defaultdict(set)
    for target in targets:
        by_warehouse[target.warehouse_id].add(target.material)
    for warehouse_id, materials in by_warehouse.items():
        rows = StockPosition.objects.filter(
            warehouse_id=warehouse_id, material__in=materials
        ).values_list("material", "quantity_on_hand", "quantity_available", "as_of")
        for material, on_hand, available, as_of in rows:
            stock = on_hand if on_hand is not None else available
            found[(warehouse_id, material)] = (stock, as_of)
    return found


def _shipments(channel_id, targets, positions) -> dict[tuple[str, str], list]:
    """``(location, sku): [(ship date, quantity)]`` shipped by the targets' warehouses
    on or after the earliest of their reports (or with no ship date)."""
    reported = [
        positions[(t.warehouse_id, t.material)][1]
        for t in targets
        if (t.warehouse_id, t.material) in positions
    ]
    if not reported:
        return {}
    earliest = min(reported).date()
    lines = ShipmentLine.objects.filter(
        Q(shipment__ship_date__gte=earliest) | Q(shipment__ship_date__isnull=True),
        order_line_id__in=orders.order_line_ids_at(
            channel_id, {t.channel_location for t in targets}, {t.channel_sku for t in targets}
        ),
        shipment__interchange__partner_id__in={t.warehouse_id for t in targets},
        quantity_shipped__gt=0,
    ).values_list("order_line_id", "shipment__ship_date", "quantity_shipped")
    lines = list(lines)
    if not lines:
        return {}
    keys = orders.order_line_keys({line_id for line_id, _, _ in lines})
    found: dict[tuple[str, str], list] = defaultdict(list)
    for line_id, ship_date, quantity in lines:
        _, location, sku = keys[line_id]
        found[(location, sku)].append((ship_date, quantity))
    return found


def _shipped_since(shipped: list, reported_on: date | None) -> int:
    """Units shipped on or after the report's day (the report still counted them).

    A shipment on the report's own day is counted: the report is dated, not
    timed, and counting it can only under-promise. One without a date likewise.
    """
    if reported_on is None:
        return 0
    return int(sum(q for ship_date, q in shipped if ship_date is None or ship_date >= reported_on))


def _safety_stock(channel_id: int, locations: set[str]) -> dict[tuple[str, str], int]:
    rows = SafetyStock.objects.filter(
        channel_id=channel_id, channel_location__in=locations
    ).values_list("channel_location", "channel_sku", "quantity")
    return {(location, sku): quantity for location, sku, quantity in rows}


def _safety_of(safety: dict, location: str, sku: str) -> int:
    return safety.get((location, sku), safety.get((location, ""), 0))
