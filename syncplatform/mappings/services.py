"""Mapping use cases: translate an order's codes for the ERP; bulk import and export."""

import datetime
from dataclasses import dataclass, field

from syncplatform.core.errors import NeedsPerson
from syncplatform.partners.models import Partner

from .models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping


class MissingMappings(NeedsPerson):
    """Raised when a document cannot be translated; ``missing`` names every gap.

    Each entry reads like ``sku TSHIRT-BLK-M`` or ``code tax TX-FOOD`` so an
    operator knows exactly which row to add in the admin.
    """

    code = "mapping_missing"

    def __init__(self, channel: Partner, missing: list[str]):
        self.channel = channel
        self.missing = missing
        super().__init__(f"missing mappings for channel {channel.code}: {', '.join(missing)}")


@dataclass(frozen=True)
class ErpMaterial:
    material: str
    unit: str


@dataclass(frozen=True)
class ErpLocation:
    plant: str
    storage_location: str
    warehouse_id: int | None


@dataclass
class OrderMappings:
    """The ERP side of one order's channel codes."""

    materials: dict[str, ErpMaterial] = field(default_factory=dict)
    location: ErpLocation | None = None
    sold_to: str = ""
    codes: dict[tuple[str, str], str] = field(default_factory=dict)

    def code(self, code_type: str, channel_code: str) -> str:
        return self.codes[(code_type, channel_code)]


def resolve_order_mappings(
    channel: Partner,
    *,
    skus: set[str],
    location: str,
    customer_id: str,
    codes: set[tuple[str, str]],
    default_sold_to: str = "",
    on: datetime.date | None = None,
) -> OrderMappings:
    """Look up every code an order needs in one pass (one query per table).

    Raises ``MissingMappings`` listing all gaps at once, so one fix round suffices.
    """
    found = OrderMappings()
    missing: list[str] = []

    for row in SkuMapping.objects.in_force(on).filter(channel=channel, channel_sku__in=skus):
        found.materials[row.channel_sku] = ErpMaterial(row.erp_material, row.erp_unit)
    missing += [f"sku {sku}" for sku in sorted(skus - found.materials.keys())]

    place = (
        LocationMapping.objects.in_force(on)
        .filter(channel=channel, channel_location=location)
        .first()
    )
    if place:
        found.location = ErpLocation(
            place.erp_plant, place.erp_storage_location, place.warehouse_id
        )
    else:
        missing.append(f"location {location}")

    customer = (
        CustomerMapping.objects.in_force(on)
        .filter(channel=channel, channel_customer_id=customer_id)
        .first()
    )
    found.sold_to = customer.erp_sold_to if customer else default_sold_to
    if not found.sold_to:
        missing.append(f"customer {customer_id}")

    if codes:
        rows = CodeMapping.objects.in_force(on).filter(
            channel=channel, channel_code__in={code for _, code in codes}
        )
        found.codes = {(r.code_type, r.channel_code): r.erp_code for r in rows}
    missing += [f"code {kind} {code}" for kind, code in sorted(codes - found.codes.keys())]

    if missing:
        raise MissingMappings(channel, missing)
    return found
