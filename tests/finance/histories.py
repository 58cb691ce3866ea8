"""Order histories written straight into the tables, for the reconciliation tests.

Each ``history(...)`` makes one order with its lines, and as asked its ERP
value, a failed ERP posting, invoices and settlement lines: the rows the real
flows leave behind (the end-to-end test makes them through those flows).
"""

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from syncplatform.audit.models import SyncTransaction
from syncplatform.erpdocs.models import InboundIdocFile, Invoice
from syncplatform.orders.models import ERP_ORDER_POST, Order, OrderLine
from syncplatform.settlements.models import SettlementImport, SettlementLine

_numbers = itertools.count(1)


def history(
    channel,
    erp,
    *,
    total="100.00",
    currency="USD",
    ordered_on=date(2026, 11, 10),
    quantity=2,
    shipped=2,
    status="shipped",
    erp_value: str | None = "same",
    erp_currency=None,
    in_erp=True,
    invoices=(),  # (total_due, delivery, currency or None, invoice date or None)
    settlements=(),  # (gross, fee, currency or None)
    failed_posting=False,
) -> Order:
    n = next(_numbers)
    total = Decimal(total)
    order = Order.objects.create(
        channel=channel,
        channel_order_number=f"T-{n:05d}",
        idempotency_scope="test",
        idempotency_key=f"k{n}",
        request_sha256="0" * 64,
        correlation_id=f"c{n}",
        status=status,
        ordered_at=datetime.combine(ordered_on, datetime.min.time(), tzinfo=UTC).replace(hour=12),
        currency=currency,
        customer_id="C",
        ship_to_name="Pat",
        ship_to_line1="1 Main St",
        ship_to_city="Columbus",
        ship_to_postal_code="43004",
        ship_to_country="US",
        fulfillment_location="STORE-017",
        shipping_method="GROUND",
        shipping_amount=Decimal("0"),
        subtotal=total,
        tax_total=Decimal("0"),
        discount_total=Decimal("0"),
        grand_total=total,
        erp_document_number=f"{4500000 + n}" if in_erp else "",
    )
    if in_erp and erp_value is not None:
        value = total if erp_value == "same" else Decimal(erp_value)
        order.erp_net_value, order.erp_tax_value = value - Decimal("1.5"), Decimal("1.5")
        order.erp_currency = erp_currency or currency
        order.save(update_fields=["erp_net_value", "erp_tax_value", "erp_currency"])
    OrderLine.objects.create(
        order=order,
        line_number=1,
        sku="SKU-1",
        quantity=quantity,
        unit_price=total / quantity,
        tax_code="T",
        tax_amount=Decimal("0"),
        discount_amount=Decimal("0"),
        quantity_shipped=shipped,
    )
    for index, (due, delivery, inv_currency, invoice_date) in enumerate(invoices):
        Invoice.objects.create(
            erp=erp,
            file=_idoc_file(erp),
            docnum=f"{n:08d}{index}",
            invoice_number=f"90{n:05d}{index}",
            order=order,
            delivery_number=delivery,
            currency=inv_currency or currency,
            invoice_date=invoice_date or ordered_on,
            total_due=Decimal(due),
        )
    for index, (gross, fee, pay_currency) in enumerate(settlements):
        gross, fee = Decimal(gross), Decimal(fee)
        SettlementLine.objects.create(
            settlement_import=_settlement_import(channel),
            line_number=n * 10 + index,
            channel=channel,
            order_reference=order.channel_order_number,
            order=order,
            kind="charge" if gross >= 0 else "refund",
            gross=gross,
            fee=fee,
            net=gross - fee,
            currency=pay_currency or currency,
            payout_date=ordered_on,
            payout_id="P1",
        )
    if failed_posting:
        SyncTransaction.objects.create(
            kind=ERP_ORDER_POST,
            business_key=order.channel_order_number,
            correlation_id=f"c{n}",
            subject_id=order.pk,
            state="failed",
            last_error_code="mapping_missing",
        )
    return order


def _idoc_file(erp) -> InboundIdocFile:
    found = InboundIdocFile.objects.filter(erp=erp).first()
    return found or InboundIdocFile.objects.create(
        erp=erp, content_gzip=b"", sha256="1" * 64, state="applied"
    )


def _settlement_import(channel) -> SettlementImport:
    found = SettlementImport.objects.filter(channel=channel).first()
    return found or SettlementImport.objects.create(
        channel=channel, file_name="payouts.csv", sha256="2" * 64, status="imported"
    )
