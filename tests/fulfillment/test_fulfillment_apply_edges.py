"""Edges of applying received files: what the file says that our data cannot take."""

from decimal import Decimal

from syncplatform.audit.choices import TransactionState
from syncplatform.fulfillment.choices import InterchangeState
from syncplatform.fulfillment.models import Shipment, StockPosition
from syncplatform.fulfillment.services import receive_file, send_shipping_orders
from tests.fulfillment.fulfillment_files import file_945, shipping_advice


def test_given_an_unmatched_945_then_the_interchange_shows_failed_like_its_transaction(
    config, posted_order
):
    order = posted_order("WEB-NOT-SENT")

    interchange = receive_file(config, "945_x.edi", file_945([shipping_advice(order)], 561))

    assert interchange.transaction.state == TransactionState.FAILED
    assert interchange.state == InterchangeState.FAILED


def test_given_a_fractional_quantity_shipped_then_nothing_recorded_and_the_line_named(
    config, posted_order
):
    order = posted_order("WEB-HALF")
    send_shipping_orders(config.partner_id)
    advice = shipping_advice(order)
    advice.lines[0].quantity_shipped = Decimal("1.5")

    interchange = receive_file(config, "945_half.edi", file_945([advice], 562))

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_unmatched")
    assert "945_half.edi 945 set 0001: W12 line 1 quantity shipped 1.5" in tx.last_error_message
    assert Shipment.objects.count() == 0
    order.refresh_from_db()
    assert [line.quantity_shipped for line in order.lines.all()] == [0]


def test_given_an_846_item_with_a_upc_before_our_material_then_stock_is_keyed_by_the_material(
    config, mappings
):
    content = (
        b"ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
        b"00401*000000563*0*P*>~GS*IB*DEMO3PL*SYNCPLATFORM*20261123*1200*563*X*004010~"
        b"ST*846*0001~BIA*00*SI*INV-563*20261123~LIN**UP*012345678905*VN*MAT-100200~"
        b"QTY*33*12*EA~SE*5*0001~GE*1*563~IEA*1*000000563~"
    )

    interchange = receive_file(config, "846_upc.edi", content)

    assert interchange.transaction.state == TransactionState.SUCCEEDED
    assert list(StockPosition.objects.values_list("material", "quantity_available")) == [
        ("MAT-100200", Decimal("12.000"))
    ]
