"""846 inventory advice: the warehouse's stock per item, kept as its latest stock position."""

from datetime import datetime, time

from django.utils import timezone

from connectors.edi.w846 import InventoryAdvice, read_846
from syncplatform.mappings.services import channel_skus_of_materials

from ..choices import EDI_846_IN
from ..models import StockPosition
from ..services.inbound import X12_FILES, ReceivedSet
from ..signals import stock_reported

ON_HAND, AVAILABLE = ("17", "QH"), ("33", "QA")


def describe(advice: InventoryAdvice) -> str:
    items = len(advice.items)
    return f"846: report {advice.report_number} of {advice.reported_on}, {items} item(s)"


@X12_FILES.document(
    "846",
    group_id="IB",
    kind=EDI_846_IN,
    description="846 inventory advice from a warehouse",
    reader=read_846,
    describe=describe,
)
def update_stock(received: ReceivedSet, advice: InventoryAdvice) -> None:
    """Keep each item's newest report; an older report arriving late changes nothing."""
    warehouse = received.warehouse
    as_of = timezone.make_aware(datetime.combine(advice.reported_on, time.min))
    skus = channel_skus_of_materials({_material(item) for item in advice.items if item.product_ids})
    for item in advice.items:
        if not item.product_ids:
            continue
        material = _material(item)
        quantities = {q.qualifier: q for q in item.quantities}
        on_hand = next((quantities[q] for q in ON_HAND if q in quantities), None)
        available = next((quantities[q] for q in AVAILABLE if q in quantities), None)
        current = StockPosition.objects.filter(warehouse=warehouse, material=material).first()
        if current and current.as_of > as_of:
            continue
        StockPosition.objects.update_or_create(
            warehouse=warehouse,
            material=material,
            defaults={
                "channel_skus": sorted(skus.get(material, [])),
                "quantity_on_hand": on_hand.quantity if on_hand else None,
                "quantity_available": available.quantity if available else None,
                "unit": (on_hand or available).unit if (on_hand or available) else "",
                "as_of": as_of,
                "interchange": received.interchange,
            },
        )
    stock_reported.send(
        sender=StockPosition,
        warehouse=warehouse,
        interchange=received.interchange,
        materials=sorted({_material(item) for item in advice.items if item.product_ids}),
    )


def _material(item) -> str:
    """The item's id in our terms: the ERP material we sent as VN (or SK), else its first id."""
    ids = {product.qualifier: product.value for product in item.product_ids}
    return ids.get("VN") or ids.get("SK") or item.product_ids[0].value
