"""Order use cases: accept an order from a channel or its webhook; post it to the ERP."""

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.erp.models import Address, SalesOrder, SalesOrderConfirmation, SalesOrderItem
from connectors.errors import ConfigError
from syncplatform.audit.choices import EventKind
from syncplatform.audit.dispatch import enqueue_on_commit
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.audit.registry import Gate, GateTarget, Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Failure, Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.core.env import env_int
from syncplatform.core.prepared import PreparedQuery
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.services import READ_NOW, resolve_order_mappings, stamp_expression
from syncplatform.partners.models import ChannelConfig, ErpEndpoint, Partner
from syncplatform.partners.services import erp_client_for

from .inserts import insert_new_order
from .models import (
    CHANNEL_ORDER_INTAKE,
    ERP_ORDER_POST,
    ChannelOrderReceipt,
    ErpOrderValue,
    Order,
    OrderLine,
)
from .models import order_id_of_reference as order_id_of_reference  # for other apps
from .receipts import (
    IncompleteOrder,
    WebhookDelivery,
    canonical_order_of,
    order_numbered,
    store_receipt,
    webhook_scope,
)
from .signals import order_accepted

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeRequest:
    """Who sent an order and under which idempotency key; ``body`` is the raw bytes."""

    channel: Partner
    idempotency_scope: str
    idempotency_key: str
    body: bytes
    correlation_id: str


class IntakeOutcome(enum.Enum):
    """What ``accept_order`` did with an order."""

    NEW = "new"  # stored now; its ERP posting is published after commit
    REPLAY = "replay"  # the same key and body again: the order the first request stored
    EXISTING_BY_NUMBER = "existing_by_number"  # its channel order number was known already


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    outcome: IntakeOutcome


class IdempotencyKeyReused(Exception):
    """The idempotency key was used before, for another body; ``order`` is the first one."""

    def __init__(self, order: Order):
        super().__init__(
            f"idempotency key {order.idempotency_key!r} already accepted order {order.pk} "
            "with a different body"
        )
        self.order = order


def accept_order(request: IntakeRequest, canonical: dict) -> IntakeResult:
    """Store a validated canonical order once and publish its ERP posting.

    - same scope + key + body → the order stored the first time (``REPLAY``);
    - same scope + key, other body → ``IdempotencyKeyReused``, nothing changes;
    - same channel order number under another key → the existing order
      (``EXISTING_BY_NUMBER``), no second order and no second posting;
    - otherwise (``NEW``) the order, its lines, its transaction and first event
      commit together, and the transaction id is published after commit.
    Concurrent duplicates are settled by the unique constraints: the loser of
    the race reads the winner's row.
    """
    body_sha256 = hashlib.sha256(request.body).hexdigest()
    # Insert first: a new order (the common case) costs no look-ups; only a
    # unique-constraint conflict reads what is already there.
    try:
        return IntakeResult(_store_new_order(request, canonical, body_sha256), IntakeOutcome.NEW)
    except IntegrityError:
        existing = _find_existing(request, canonical, body_sha256)
        if existing is None:
            raise
        logger.info(
            "order %s: already known, answering with the stored one",
            canonical["channel_order_number"],
        )
        return existing


def _find_existing(request, canonical, body_sha256) -> IntakeResult | None:
    key = (request.idempotency_scope, request.idempotency_key)
    by_key = Order.objects.filter(idempotency_scope=key[0], idempotency_key=key[1]).first()
    by_number = None
    if by_key is None:
        by_number = Order.objects.filter(
            channel=request.channel, channel_order_number=canonical["channel_order_number"]
        ).first()
        # A concurrent request with this very key may commit between the two reads:
        # it is still a repeat of that key, not another order under a new key.
        if by_number and (by_number.idempotency_scope, by_number.idempotency_key) == key:
            by_key = by_number
    if by_key:
        if by_key.request_sha256 != body_sha256:
            raise IdempotencyKeyReused(by_key)
        return IntakeResult(by_key, IntakeOutcome.REPLAY)
    if by_number:
        return IntakeResult(by_number, IntakeOutcome.EXISTING_BY_NUMBER)
    return None


def _store_new_order(request, canonical, body_sha256) -> Order:
    customer, ship_to, totals = canonical["customer"], canonical["ship_to"], canonical["totals"]
    with transaction.atomic():
        order = Order(
            channel=request.channel,
            channel_order_number=canonical["channel_order_number"],
            channel_order_name=canonical.get("channel_order_name", ""),
            idempotency_scope=request.idempotency_scope,
            idempotency_key=request.idempotency_key,
            request_sha256=body_sha256,
            correlation_id=request.correlation_id,
            ordered_at=canonical["ordered_at"],
            currency=canonical["currency"],
            customer_id=customer["channel_customer_id"],
            customer_name=customer["name"],
            customer_email=customer["email"],
            **{f"ship_to_{name}": value for name, value in ship_to.items()},
            fulfillment_location=canonical["fulfillment_location"],
            shipping_method=canonical["shipping"]["method"],
            shipping_amount=canonical["shipping"]["amount"],
            subtotal=totals["subtotal"],
            tax_total=totals["tax"],
            discount_total=totals["discount"],
            grand_total=totals["grand_total"],
        )
        posting, received = _new_posting(request, order)
        insert_new_order(
            order, [OrderLine(**line) for line in canonical["lines"]], posting, received
        )
        enqueue_on_commit(ERP_ORDER_POST, posting.pk)
        order_accepted.send(
            sender=Order,
            order_id=order.pk,
            channel_id=order.channel_id,
            fulfillment_location=order.fulfillment_location,
            skus=sorted({line["sku"] for line in canonical["lines"]}),
        )
    return order


def _new_posting(request, order: Order) -> tuple[SyncTransaction, TransactionEvent]:
    """The order's ERP posting and its ``received`` event, unsaved, as ``open_transaction``
    makes them; ``insert_new_order`` writes them in the order's own statement (two
    ORM INSERTs and their compilation fewer per order)."""
    posting = SyncTransaction(
        kind=ERP_ORDER_POST,
        partner=request.channel,
        business_key=order.channel_order_number,
        correlation_id=request.correlation_id,
        idempotency_key=request.idempotency_key,
        next_attempt_at=timezone.now() + timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS),
    )
    received = TransactionEvent(
        kind=EventKind.RECEIVED,
        to_state=posting.state,
        message=f"order {order.channel_order_number} received from {request.channel.code}",
    )
    return posting, received


def erp_gate_target(tx: SyncTransaction) -> GateTarget | None:
    """The ERP endpoint an order posting goes to (None: not configured; the handler says so)."""
    order = _order_of(tx)
    if order is None:
        return None
    try:
        erp = order.channel.channel_config.erp
        endpoint = erp.erp_endpoint
    except (ChannelConfig.DoesNotExist, ErpEndpoint.DoesNotExist):
        return None
    key = ErpEndpoint.breaker_key_of(endpoint.pk)
    return GateTarget(key, endpoint.max_in_flight, f"ERP endpoint of {erp.code}")


def _order_of(tx: SyncTransaction) -> Order | None:
    """The order a posting carries, with its channel's ERP endpoint: one query per attempt.

    The gate reads it during the claim (to find the endpoint) and the handler
    uses the same instance right after, instead of a second load.
    """
    if tx.subject_id is None:
        return None
    order = getattr(tx, "_posting_order", None)
    if order is None or order.pk != tx.subject_id:
        order = _ORDER_WITH_ERP.first(tx.subject_id)
        if order is None:
            return None
        tx._posting_order = order
    return order


# Compiled once per process (syncplatform.core.prepared): the ORM compiling this
# four-relation join cost ten times its execution on every posting. No
# prefetch_related("lines"): build_sales_order reads the lines once, cheaper.
# The mapping stamp comes along: the mapping cache's check, without a round trip.
_ORDER_WITH_ERP = PreparedQuery(
    lambda pk: (
        Order.objects.select_related("channel__channel_config__erp__erp_endpoint")
        .annotate(mapping_stamp=stamp_expression())
        .filter(pk=pk)
    )
)
_LINES_OF = PreparedQuery(lambda order_id: OrderLine.objects.filter(order_id=order_id))


@transaction_kind(
    ERP_ORDER_POST,
    description="ERP sales order posting",
    lane=Lane.REALTIME,
    subject="orders.Order",
    # ERP outages are usually minutes: give up after about 2 hours and let a person look.
    retry=RetryDefaults(10, (5, 15, 30, 60, 120, 300, 600, 1200, 1800)),
    # While the breaker is open, postings wait without spending attempts (audit.gates).
    gate=Gate(
        target=erp_gate_target,
        failures_to_open=env_int("SYNC_ERP_BREAKER_FAILURES", 5),
        window_seconds=env_int("SYNC_ERP_BREAKER_WINDOW_SECONDS", 60),
        cool_down_seconds=env_int("SYNC_ERP_BREAKER_COOL_DOWN_SECONDS", 30),
    ),
)
def post_order_to_erp(tx: SyncTransaction) -> Outcome:
    """Translate the order's codes and create the sales order in the ERP.

    Idempotent across attempts: the order carries a stable external
    reference; from the second attempt on (the first may have reached the ERP
    before a timeout or a killed worker) the ERP is asked for that reference
    before posting, and a duplicate-reference refusal adopts the existing
    document. On every path the order keeps the value the ERP confirmed
    (net, tax, currency): the refusal names only the document, so the ERP is
    then asked for it by reference to learn its value and delivery.
    """
    from connectors.erp.faults import DuplicateReferenceError  # workers only: keeps zeep out of web

    order = _order_of(tx)
    if order is None:
        raise Order.DoesNotExist(f"order {tx.subject_id} of transaction {tx.pk} does not exist")
    client = erp_client_for(_erp_of(order.channel))
    if tx.attempts > 1:
        found = client.find_sales_order(order.erp_reference)
        if found:
            return _posted(order, found, "found in the ERP after an earlier attempt")
    sales_order = build_sales_order(order, mapping_stamp=order.mapping_stamp)
    try:
        confirmation = client.create_sales_order(sales_order)
    except DuplicateReferenceError as exc:
        found = client.find_sales_order(order.erp_reference)
        if found is None or found.document_number != exc.existing_document_number:
            # The lookup does not return the document the refusal named: keep the
            # refusal's number and leave the value unknown rather than guess it.
            return _posted_as(
                order, exc.existing_document_number, "", None, "the ERP already held this reference"
            )
        return _posted(order, found, "the ERP already held this reference")
    return _posted(order, confirmation, "created in the ERP")


def _erp_of(channel: Partner) -> Partner:
    try:
        return channel.channel_config.erp
    except ChannelConfig.DoesNotExist:
        raise ConfigError(
            f"channel {channel.code} has no channel config naming its ERP "
            "(admin: Partners > the channel > Channel config)",
            code="channel_config",
        ) from None


def _posted(order: Order, confirmation: SalesOrderConfirmation, how: str) -> Outcome:
    return _posted_as(
        order,
        confirmation.document_number,
        confirmation.delivery_number,
        erp_order_value(confirmation),
        how,
    )


def _posted_as(
    order: Order,
    document_number: str,
    delivery_number: str,
    value: ErpOrderValue | None,
    how: str,
) -> Outcome:
    delivery = f", delivery {delivery_number}" if delivery_number else ""
    worth = f", value {value.net} + tax {value.tax} {value.currency}" if value else ""
    return Outcome(
        message=(
            f"sales order {document_number}{delivery}{worth} {how}"
            f" (reference {order.erp_reference})"
        ),
        apply=lambda: _mark_posted(order, document_number, delivery_number, value),
    )


def _mark_posted(order: Order, document_number, delivery_number, value) -> None:
    order.hold_erp_value(value)
    order.mark_posted(document_number, delivery_number)


def erp_order_value(confirmation: SalesOrderConfirmation) -> ErpOrderValue | None:
    """The order value in an ERP confirmation, or None when the ERP gave none."""
    if confirmation.total_net_amount is None or confirmation.total_tax_amount is None:
        return None
    return ErpOrderValue(
        confirmation.total_net_amount, confirmation.total_tax_amount, confirmation.currency
    )


def build_sales_order(order: Order, *, mapping_stamp: object = READ_NOW) -> SalesOrder:
    """The ERP sales order for a stored order; raises MissingMappings naming every gap.

    ``mapping_stamp``: the mapping stamp read with the order, if it was.
    """
    config = order.channel.channel_config
    lines = _LINES_OF.run(order.pk)
    codes = {(CodeType.TAX, line.tax_code) for line in lines}
    codes.add((CodeType.SHIPPING_METHOD, order.shipping_method))
    mapped = resolve_order_mappings(
        order.channel,
        skus={line.sku for line in lines},
        location=order.fulfillment_location,
        customer_id=order.customer_id,
        codes=codes,
        default_sold_to=config.default_sold_to,
        stamp=mapping_stamp,
    )
    return SalesOrder(
        external_reference=order.erp_reference,
        sold_to=mapped.sold_to,
        ship_to=Address(
            name=order.ship_to_name,
            street=order.ship_to_line1,
            street2=order.ship_to_line2,
            city=order.ship_to_city,
            region=order.ship_to_region,
            postal_code=order.ship_to_postal_code,
            country=order.ship_to_country,
            phone=order.ship_to_phone,
            email=order.customer_email,
        ),
        currency=order.currency,
        order_date=order.ordered_at.date(),
        shipping_condition=mapped.code(CodeType.SHIPPING_METHOD, order.shipping_method),
        shipping_amount=order.shipping_amount,
        items=tuple(
            SalesOrderItem(
                item_number=line.line_number * 10,
                material=mapped.materials[line.sku].material,
                quantity=Decimal(line.quantity),
                unit=mapped.materials[line.sku].unit,
                plant=mapped.location.plant,
                storage_location=mapped.location.storage_location,
                net_price=line.unit_price,
                tax_code=mapped.code(CodeType.TAX, line.tax_code),
                tax_amount=line.tax_amount,
                discount_amount=line.discount_amount,
            )
            for line in lines
        ),
    )


def record_shipment(order: Order, shipped: list[tuple[OrderLine, int]]) -> bool:
    """Add what a warehouse shipped to the order's lines; True when the order is complete.

    Runs inside the caller's database transaction (the 945's); the order moves
    to ``shipped`` or ``partially_shipped``. Callers make it idempotent per
    shipment (fulfillment records each 945 set once).
    """
    for line, quantity in shipped:
        line.add_shipped(quantity)
    order.mark_shipped(list(order.lines.all()))
    return order.is_shipped


# --- channel order webhooks ---------------------------------------------------


@dataclass(frozen=True)
class ReceiptResult:
    """What ``receive_channel_order`` did with a delivery.

    ``receipt`` is the channel order's first receipt. ``intake`` is the order
    when there is one, as ``accept_order`` would say it; else the receipt is
    held and ``intake_transaction_id`` is the transaction that names its gaps.
    """

    receipt: ChannelOrderReceipt
    intake: IntakeResult | None
    is_replay: bool = False
    is_duplicate: bool = False
    intake_transaction_id: int | None = None


class WebhookIdReused(Exception):
    """A webhook id came again with another body: no redelivery. Nothing is stored."""

    def __init__(self, receipt: ChannelOrderReceipt):
        super().__init__(
            f"webhook id {receipt.webhook_id!r} was delivered before (receipt {receipt.pk}) "
            "with a different body"
        )
        self.receipt = receipt


def receive_channel_order(delivery: WebhookDelivery) -> ReceiptResult:
    """Store a signed order webhook verbatim, then make it an order now or hold it.

    - the same webhook id and body again → a replay of what the first delivery got;
    - the same webhook id with another body → ``WebhookIdReused``, nothing stored
      (Shopify redelivers the original body, so this is no redelivery);
    - the same channel order under another webhook id → stored as a duplicate of
      the first receipt; the answer is that order (or the held first receipt),
      and no second order or transaction is made;
    - a body that is a complete canonical order with the channel's defaults →
      ``accept_order``, exactly as the REST intake does;
    - otherwise the receipt is held with a ``channel.order.intake`` transaction,
      published after commit: its handler fails it naming every gap, and makes
      the order when retried after the fix.
    Everything commits together; the unique constraints settle concurrent copies.
    """
    with transaction.atomic():
        receipt, is_new = store_receipt(delivery)
        if not is_new:
            if receipt.body_sha256 != delivery.body_sha256:
                raise WebhookIdReused(receipt)
            return _answer_again(receipt, is_replay=True)
        if receipt.duplicate_of_id:
            return _answer_again(receipt, is_replay=False)
        return _take_in_now(receipt, delivery.payload)


def _answer_again(receipt: ChannelOrderReceipt, *, is_replay: bool) -> ReceiptResult:
    """The answer a known delivery gets, rebuilt from the rows as they are now."""
    first = receipt.first_receipt
    is_duplicate = receipt.duplicate_of_id is not None
    if first.order is None:
        intake = SyncTransaction.objects.about(first).order_by("pk").first()
        return ReceiptResult(first, None, is_replay, is_duplicate, intake and intake.pk)
    key = (first.order.idempotency_scope, first.order.idempotency_key)
    if is_duplicate or key != (webhook_scope(receipt.channel), receipt.webhook_id):
        outcome = IntakeOutcome.EXISTING_BY_NUMBER  # the order came from elsewhere
    else:
        outcome = IntakeOutcome.REPLAY
    return ReceiptResult(first, IntakeResult(first.order, outcome), is_replay, is_duplicate)


def _take_in_now(receipt: ChannelOrderReceipt, payload: object) -> ReceiptResult:
    try:
        canonical = canonical_order_of(receipt, payload)
    except IncompleteOrder as incomplete:
        if existing := order_numbered(receipt):
            receipt.attach(existing)
            return ReceiptResult(receipt, IntakeResult(existing, IntakeOutcome.EXISTING_BY_NUMBER))
        intake = open_transaction(
            kind=CHANNEL_ORDER_INTAKE,
            partner=receipt.channel,
            business_key=receipt.channel_order_number or f"receipt {receipt.pk}",
            correlation_id=receipt.correlation_id,
            idempotency_key=receipt.webhook_id,
            subject=receipt,
            message=f"webhook {receipt.webhook_id} kept as receipt {receipt.pk}; {incomplete}",
        )
        return ReceiptResult(receipt, None, intake_transaction_id=intake.pk)
    result = accept_order(_intake_request(receipt), canonical)
    receipt.attach(result.order)
    return ReceiptResult(receipt, result)


@transaction_kind(
    CHANNEL_ORDER_INTAKE,
    description="Channel order webhook waiting to become an order",
    lane=Lane.REALTIME,
    subject="orders.ChannelOrderReceipt",
    # Gaps need a person (failed at once); only an unexpected error is retried, briefly.
    retry=RetryDefaults(5, (5, 30, 120, 600)),
)
def take_in_channel_order(tx: SyncTransaction) -> Outcome:
    """Make the order a held receipt describes, with the channel's current defaults.

    Fails (``IncompleteOrder``) naming every gap while its body is not a
    complete canonical order. Idempotent: a receipt that is an order already,
    or whose channel order number has become one, gets that order; otherwise
    ``accept_order`` stores it once (webhook id and channel order number are
    both unique) and opens its ERP posting, in the runner's final commit.
    """
    receipt = ChannelOrderReceipt.objects.select_related("channel", "order").get(pk=tx.subject_id)
    existing = receipt.order or order_numbered(receipt)
    if existing is not None:
        return Outcome(
            message=f"receipt {receipt.pk} is order {existing.channel_order_number} already",
            apply=lambda: receipt.attach(existing),
        )
    canonical = canonical_order_of(receipt)
    return Outcome(
        message=f"receipt {receipt.pk} became order {canonical['channel_order_number']}; "
        "its ERP posting follows",
        apply=lambda: _make_order(receipt, canonical),
    )


def _make_order(receipt: ChannelOrderReceipt, canonical: dict) -> Failure | None:
    try:
        result = accept_order(_intake_request(receipt), canonical)
    except IdempotencyKeyReused as reused:
        return (
            "webhook_id_reused",
            f"webhook id {receipt.webhook_id} made order {reused.order.channel_order_number} "
            f"from another body; compare that order with receipt {receipt.pk}, then resolve",
        )
    receipt.attach(result.order)
    return None


def _intake_request(receipt: ChannelOrderReceipt) -> IntakeRequest:
    return IntakeRequest(
        channel=receipt.channel,
        idempotency_scope=webhook_scope(receipt.channel),
        idempotency_key=receipt.webhook_id,
        body=bytes(receipt.body),
        correlation_id=receipt.correlation_id,
    )
