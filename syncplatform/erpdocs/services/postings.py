"""Postings from what fulfilment recorded, and the postings that need a person.

A shipment recorded from a 945 becomes a pending SHPCON posting for the ERP
of the order's channel (when that ERP has an IDoc config): goods issue for the
shipped quantities of the order's ERP delivery. A posting that the ERP
refused (status 51) or that cannot be built (no delivery number) has a
``failed`` ``erp.idoc.posting`` transaction; "Retry now" on it, after the
cause is fixed, sends the posting again as a new IDoc.
"""

import logging

from django.db import transaction

from connectors.errors import ConfigError
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_failed_transaction
from syncplatform.core.errors import NeedsPerson
from syncplatform.mappings.models import LocationMapping, SkuMapping
from syncplatform.orders.reads import order_for_posting, order_lines_by_id
from syncplatform.partners.models import ChannelConfig

from ..choices import ERP_IDOC_POSTING, PostingKind, PostingState
from ..models import IdocConfig, Posting

logger = logging.getLogger(__name__)


def erp_of_channel(channel_id: int):
    """The ERP partner a channel's orders go to, if it has an IDoc config; else None."""
    erp_id = (
        ChannelConfig.objects.filter(partner_id=channel_id).values_list("erp_id", flat=True).first()
    )
    config = IdocConfig.objects.select_related("partner").filter(partner_id=erp_id).first()
    return config.partner if config else None


def record_shipment_confirmation(shipment) -> Posting | None:
    """A pending SHPCON posting for a recorded shipment (inside the 945's transaction).

    Once per shipment (a unique constraint): a replayed 945 adds nothing.
    None when the order's ERP takes no IDocs from us (no IDoc config). An
    order without an ERP delivery number gets its posting failed at once,
    naming the order, for operations to enter the number and resend.
    """
    order = order_for_posting(shipment.shipping_order.order_id)
    erp = erp_of_channel(order.channel_id)
    if erp is None:
        logger.info("shipment %s: the order's ERP takes no IDocs; no SHPCON", shipment.pk)
        return None
    posting, created = Posting.objects.get_or_create(
        shipment=shipment,
        defaults={
            "erp": erp,
            "kind": PostingKind.SHIPMENT_CONFIRMATION,
            "reference": order.erp_delivery_number or f"order {order.erp_reference}",
            "order_id": order.pk,
            "delivery_number": order.erp_delivery_number,
            "document": _shipment_document(shipment, order),
        },
    )
    if created and not order.erp_delivery_number:
        fail_posting(
            posting,
            "erp_delivery_missing",
            f"order {order.channel_order_number} ({order.erp_reference}) has no ERP delivery "
            f"number, so its shipment {shipment.warehouse_shipment_id or shipment.pk} cannot be "
            "confirmed to the ERP: enter the delivery number on the posting, then Retry now",
        )
    return posting


def _shipment_document(shipment, order) -> dict:
    lines = order_lines_by_id(line.order_line_id for line in shipment.lines.all())
    skus = {sku for _, sku, _ in lines.values()}
    materials = {
        sku: (material, unit)
        for sku, material, unit in SkuMapping.objects.in_force()
        .filter(channel_id=order.channel_id, channel_sku__in=skus)
        .values_list("channel_sku", "erp_material", "erp_unit")
    }
    location = (
        LocationMapping.objects.in_force()
        .filter(channel_id=order.channel_id, channel_location=order.fulfillment_location)
        .values_list("erp_plant", "erp_storage_location")
        .first()
    ) or ("", "")
    items = []
    for line in shipment.lines.all().order_by("order_line_id"):
        line_number, sku, ordered = lines[line.order_line_id]
        material, unit = materials.get(sku, ("", ""))
        items.append(
            {
                # The sales-order item the posting names: build_sales_order numbers them 10, 20...
                "item_number": line_number * 10,
                "material": material,
                "quantity": str(line.quantity_shipped),
                "ordered_quantity": str(ordered),
                "unit": unit,
                "plant": location[0],
                "storage_location": location[1],
            }
        )
    return {
        "goods_issue_date": shipment.ship_date.isoformat() if shipment.ship_date else "",
        "sales_order_number": order.erp_document_number,
        "external_id": shipment.warehouse_shipment_id,
        "carrier": shipment.carrier_scac,
        "tracking_numbers": list(shipment.tracking_numbers),
        "items": items,
    }


def fail_posting(posting: Posting, code: str, message: str) -> SyncTransaction:
    """The posting needs a person: failed, with a failed ``erp.idoc.posting`` transaction."""
    with transaction.atomic():
        posting.mark_failed()
        return open_failed_transaction(
            kind=ERP_IDOC_POSTING,
            partner=posting.erp,
            business_key=posting.reference[:120],
            subject=posting,
            code=code,
            message=message,
        )


@transaction_kind(
    ERP_IDOC_POSTING,
    description="IDoc posting that needs a person (status 51, or cannot be built)",
    lane=Lane.BATCH,
    subject="erpdocs.Posting",
    retry=RetryDefaults(3, (60,)),
)
def resend_posting(tx: SyncTransaction) -> Outcome:
    """ "Retry now" after the cause is fixed: the next package sends the posting again,
    as a new IDoc whose control record references the failed one (ARCKEY)."""
    posting = Posting.objects.select_related("erp").get(pk=tx.subject_id)
    if posting.state != PostingState.FAILED:
        return Outcome(message=f"posting {posting} is {posting.state}: nothing to resend")
    if posting.kind == PostingKind.SHIPMENT_CONFIRMATION and not posting.delivery_number:
        raise NeedsPerson(f"posting {posting.pk} still has no ERP delivery number")
    if not IdocConfig.objects.filter(partner_id=posting.erp_id).exists():
        raise ConfigError(f"ERP {posting.erp.code} has no IDoc config", code="erp_idoc_config")
    failed = posting.current_idoc
    message = f"posting {posting} queued again: the next package sends it as a new IDoc " + (
        f"referencing IDoc {failed.docnum} (ERP {failed.erp_docnum})" if failed else ""
    )

    def requeue():
        Posting.objects.select_for_update().get(pk=posting.pk).requeue()

    return Outcome(message=message.strip(), apply=requeue)
