"""846 snapshots beside the ERP's stock; differences above the tolerance become WMMBXY postings.

When an 846 is applied, each ERP that takes IDocs from us and whose channels
ship from that warehouse (location mappings) gets a pending comparison with
an ``erp.stock.compare`` transaction (in the 846's database transaction, so
no partner is called from it). The transaction then asks the ERP for the
stock of the reported materials in the warehouse's plant and records one
line per material; each difference (846 - ERP) larger than
``SYNC_STOCK_TOLERANCE`` becomes a pending goods movement: 701 (gain) when
the warehouse holds more, 702 (loss) when it holds less.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.fulfillment.models import StockPosition
from syncplatform.mappings.models import LocationMapping
from syncplatform.partners.models import ChannelConfig, Partner

from ..choices import ERP_STOCK_COMPARE, ComparisonState, PostingKind
from ..conf import stock_tolerance
from ..models import IdocConfig, Posting, StockComparison, StockComparisonLine
from .erp import idoc_client_for

GAIN, LOSS = "701", "702"


def record_stock_report(warehouse, interchange, materials: list[str]) -> list[StockComparison]:
    """A pending comparison per ERP the warehouse ships for (inside the 846's transaction).

    One per (846 file, ERP): several 846 sets in one file add their materials
    to it; a replayed file adds nothing once it is compared.
    """
    comparisons = []
    for erp, plant, storage_location in erp_plants_of(warehouse):
        comparison, created = StockComparison.objects.get_or_create(
            interchange=interchange,
            erp=erp,
            defaults={
                "warehouse": warehouse,
                "plant": plant,
                "storage_location": storage_location,
                "materials": sorted(set(materials)),
            },
        )
        if created:
            comparison.transaction = open_transaction(
                kind=ERP_STOCK_COMPARE,
                partner=erp,
                business_key=f"{interchange.file_name} vs {erp.code}",
                correlation_id=f"stock-comparison-{comparison.pk}",
                subject=comparison,
                message=f"846 {interchange.file_name} from {warehouse.code}: "
                f"{len(comparison.materials)} material(s) to compare with {erp.code} "
                f"plant {plant}",
            )
            comparison.save(update_fields=["transaction"])
        elif comparison.state == ComparisonState.PENDING:
            comparison.materials = sorted(set(comparison.materials) | set(materials))
            comparison.save(update_fields=["materials", "updated_at"])
        comparisons.append(comparison)
    return comparisons


def erp_plants_of(warehouse) -> list[tuple[Partner, str, str]]:
    """(ERP, plant, storage location) for each ERP with an IDoc config whose channels'
    locations ship from ``warehouse``. A warehouse serving several plants of one ERP is
    compared with the first (by number); the storage location is named only when one."""
    rows = LocationMapping.objects.in_force().filter(warehouse=warehouse)
    by_channel = rows.values_list("channel_id", "erp_plant", "erp_storage_location")
    erp_of = dict(ChannelConfig.objects.values_list("partner_id", "erp_id"))
    with_idocs = set(IdocConfig.objects.values_list("partner_id", flat=True))
    places: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for channel_id, plant, storage_location in by_channel:
        erp_id = erp_of.get(channel_id)
        if erp_id in with_idocs:
            places[erp_id].add((plant, storage_location))
    partners = Partner.objects.in_bulk(list(places))
    found = []
    for erp_id, pairs in sorted(places.items()):
        plant = min(p for p, _ in pairs)
        storages = {s for p, s in pairs if p == plant}
        found.append((partners[erp_id], plant, storages.pop() if len(storages) == 1 else ""))
    return found


@transaction_kind(
    ERP_STOCK_COMPARE,
    description="846 stock compared with the ERP's",
    lane=Lane.BATCH,
    subject="erpdocs.StockComparison",
    retry=RetryDefaults(8, (15, 60, 120, 300, 600)),
)
def compare_stock(tx: SyncTransaction) -> Outcome:
    """Ask the ERP for the stock and record the comparison; idempotent once compared."""
    comparison = StockComparison.objects.select_related("erp", "interchange").get(pk=tx.subject_id)
    if comparison.state == ComparisonState.COMPARED:
        return Outcome(message="already compared")
    config = IdocConfig.objects.select_related("partner").get(partner_id=comparison.erp_id)
    erp_stock = idoc_client_for(config).stock(comparison.materials, comparison.plant)
    ours = {
        material: (on_hand if on_hand is not None else available, unit)
        for material, on_hand, available, unit in StockPosition.objects.filter(
            warehouse_id=comparison.warehouse_id, material__in=comparison.materials
        ).values_list("material", "quantity_on_hand", "quantity_available", "unit")
    }
    tolerance = stock_tolerance()
    lines = [_line(comparison, m, ours.get(m), erp_stock.get(m), tolerance) for m in ours]
    above = [line for line in lines if line.is_above_tolerance]
    return Outcome(
        message=f"{len(lines)} material(s) compared with {comparison.erp.code} plant "
        f"{comparison.plant}: {len(above)} difference(s) above {tolerance} become goods movements",
        apply=lambda: _record(comparison.pk, lines, tolerance),
    )


def _line(comparison, material, ours, theirs, tolerance: Decimal) -> StockComparisonLine:
    quantity, unit = ours if ours else (None, "")
    line = StockComparisonLine(
        comparison=comparison, material=material, unit=unit, warehouse_quantity=quantity
    )
    if theirs is None:
        line.note = f"not kept by the ERP in plant {comparison.plant}"
        return line
    line.erp_quantity = theirs.quantity
    if quantity is None:
        line.note = "the 846 gave no quantity"
        return line
    line.difference = quantity - theirs.quantity
    line.is_above_tolerance = abs(line.difference) > tolerance
    if line.is_above_tolerance and unit and theirs.unit and unit != theirs.unit:
        line.is_above_tolerance = False
        line.note = f"units differ: the warehouse counts {unit}, the ERP {theirs.unit}"
    elif theirs.unit:
        line.unit = theirs.unit
    return line


def _record(comparison_id: int, lines: list[StockComparisonLine], tolerance: Decimal) -> None:
    comparison = StockComparison.objects.select_for_update().get(pk=comparison_id)
    if comparison.state == ComparisonState.COMPARED:
        return
    StockComparisonLine.objects.bulk_create(lines)
    today = timezone.localdate().isoformat()
    for line in (line for line in lines if line.is_above_tolerance):
        movement = GAIN if line.difference > 0 else LOSS
        Posting.objects.create(
            erp_id=comparison.erp_id,
            kind=PostingKind.GOODS_MOVEMENT,
            reference=f"{comparison.interchange.file_name} {line.material}"[:120],
            stock_line=line,
            document={
                "posting_date": today,
                "reference": f"846-{comparison.interchange_id}",
                "header_text": "3PL stock difference",
                "items": [
                    {
                        "movement_type": movement,
                        "material": line.material,
                        "plant": comparison.plant,
                        "storage_location": comparison.storage_location,
                        "quantity": str(abs(line.difference)),
                        "unit": line.unit,
                        "text": f"846 {comparison.interchange.file_name}",
                    }
                ],
            },
        )
    comparison.mark_compared(tolerance)
