"""The one-statement INSERT of a new order, its lines, its posting and event writes what the
ORM and ``open_transaction`` would."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.audit.services import open_transaction
from syncplatform.orders.inserts import insert_new_order
from syncplatform.orders.models import ERP_ORDER_POST, Order, OrderLine

pytestmark = pytest.mark.django_db


def new_order(channel, number: str) -> Order:
    return Order(
        channel=channel,
        channel_order_number=number,
        idempotency_scope="test",
        idempotency_key=f"key-{number}",
        request_sha256="a" * 64,
        correlation_id="c" * 32,
        ordered_at=datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
        currency="EUR",
        customer_id="C-1",
        customer_name="Ana Diaz",
        customer_email="ana@example.com",
        ship_to_name="Ana Diaz",
        ship_to_line1="Calle Mayor 1",
        ship_to_city="Madrid",
        ship_to_postal_code="28013",
        ship_to_country="ES",
        fulfillment_location="STORE-017",
        shipping_method="standard",
        shipping_amount=Decimal("4.95"),
        subtotal=Decimal("61.97"),
        tax_total=Decimal("5.00"),
        discount_total=Decimal("1.00"),
        grand_total=Decimal("70.92"),
    )


def lines() -> list[OrderLine]:
    return [
        OrderLine(
            line_number=number,
            sku=sku,
            quantity=quantity,
            unit_price=Decimal(price),
            tax_code="TX-APPAREL",
            tax_amount=Decimal("2.50"),
            discount_amount=Decimal(discount),
        )
        for number, sku, quantity, price, discount in [
            (1, "TSHIRT-BLK-M", 2, "19.99", "1.00"),
            (2, "MUG-WHT", 1, "21.99", "0"),
            (3, "TSHIRT-BLK-M", 1, "0.00", "0"),
        ]
    ]


def posting_of(order: Order, **changes) -> tuple[SyncTransaction, TransactionEvent]:
    """An unsaved posting for ``order`` and its ``received`` event, as the intake makes them."""
    posting = SyncTransaction(
        kind=ERP_ORDER_POST,
        partner=order.channel,
        business_key=order.channel_order_number,
        correlation_id="c" * 32,
        idempotency_key=order.idempotency_key,
        **changes,
    )
    received = TransactionEvent(
        kind=EventKind.RECEIVED, to_state="received", message="order received"
    )
    return posting, received


def insert(order: Order, order_lines: list[OrderLine]) -> None:
    insert_new_order(order, order_lines, *posting_of(order))


def test_the_order_and_its_lines_are_stored_as_the_orm_stores_them(channel):
    # given: the same order stored once by the ORM and once in one statement
    with transaction.atomic():
        by_orm = new_order(channel, "ORM-1")
        by_orm.save()
        OrderLine.objects.bulk_create(
            OrderLine(order=by_orm, **model_to_dict(line, exclude=["id", "order"]))
            for line in lines()
        )
    ours, our_lines = new_order(channel, "ONE-1"), lines()

    # when
    with transaction.atomic():
        insert(ours, our_lines)

    # then: the same columns, bar the ids, numbers and keys that differ on purpose
    differ = ["id", "channel_order_number", "idempotency_key", "created_at", "updated_at"]
    stored = Order.objects.get(pk=ours.pk)
    assert model_to_dict(stored, exclude=differ) == model_to_dict(
        Order.objects.get(pk=by_orm.pk), exclude=differ
    )
    assert stored.created_at == ours.created_at and stored.updated_at is not None
    assert [model_to_dict(ln, exclude=["id", "order"]) for ln in stored.lines.all()] == [
        model_to_dict(ln, exclude=["id", "order"]) for ln in by_orm.lines.all()
    ]
    assert {(ln.pk, ln.line_number) for ln in our_lines} == {
        (ln.pk, ln.line_number) for ln in stored.lines.all()
    }
    assert not ours._state.adding and all(ln.order_id == ours.pk for ln in our_lines)


def test_a_second_order_under_the_same_number_is_refused_with_nothing_stored(channel):
    # given
    with transaction.atomic():
        insert(new_order(channel, "DUP-1"), lines())
    again = new_order(channel, "DUP-1")
    again.idempotency_key = "another-key"

    # when / then: the unique constraint answers, as it does for the ORM's insert
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(again, lines())
    assert Order.objects.filter(channel_order_number="DUP-1").count() == 1
    assert OrderLine.objects.count() == 3


def test_the_posting_and_its_event_are_stored_as_open_transaction_stores_them(channel):
    # given: an order's posting opened by the audit app's service
    with transaction.atomic():
        by_orm = new_order(channel, "ORM-2")
        insert(by_orm, lines())
        orm_posting = open_transaction(
            kind=ERP_ORDER_POST,
            partner=channel,
            business_key="ORM-2",
            correlation_id="c" * 32,
            idempotency_key="key-ORM-2",
            subject=by_orm,
            message="order received",
        )
    ours = new_order(channel, "ONE-2")
    posting, received = posting_of(ours, next_attempt_at=orm_posting.next_attempt_at)

    # when: the order, its lines, its posting and the event in one statement
    with transaction.atomic():
        insert_new_order(ours, lines(), posting, received)

    # then: the same rows, bar ids, keys and times
    differ = ["id", "business_key", "idempotency_key", "subject_id", "created_at", "updated_at"]
    stored = SyncTransaction.objects.get(pk=posting.pk)
    assert stored.subject_id == ours.pk and stored.subject == Order.objects.get(pk=ours.pk)
    assert model_to_dict(stored, exclude=differ) == model_to_dict(
        SyncTransaction.objects.get(pk=orm_posting.pk), exclude=differ
    )
    assert stored.state == TransactionState.RECEIVED and stored.created_at is not None
    [event] = stored.events.all()
    [orm_event] = orm_posting.events.all()
    assert event.pk == received.pk and received.transaction_id == posting.pk
    event_differ = ["id", "transaction", "at"]
    assert model_to_dict(event, exclude=event_differ) == model_to_dict(
        orm_event, exclude=event_differ
    )
    assert OrderLine.objects.filter(order=ours).count() == 3


def test_an_order_refused_as_a_duplicate_leaves_no_posting_or_event(channel):
    # given
    with transaction.atomic():
        insert(new_order(channel, "DUP-2"), lines())
    again = new_order(channel, "DUP-2")
    again.idempotency_key = "another-key"
    posting, received = posting_of(again)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new_order(again, lines(), posting, received)
    # the first order's posting and event only
    assert (SyncTransaction.objects.count(), TransactionEvent.objects.count()) == (1, 1)
