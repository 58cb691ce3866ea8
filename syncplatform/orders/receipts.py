"""Channel order webhooks as received: stored verbatim, then read as canonical orders.

A signed webhook is never refused for what it says (Shopify retries what it
does not get a 2xx for, and drops a subscription that keeps failing). So the
body is kept first (``store_receipt``) and only then read
(``canonical_order_of``): with the channel's defaults, through the adapter
and the REST intake's own serializer. What keeps it from being a complete
order is named gap by gap in an operator's words (``IncompleteOrder``); the
use cases that answer the webhook and retry it are in ``services``.
"""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.shopify import order_id_of, to_canonical_order
from syncplatform.core.errors import NeedsPerson
from syncplatform.core.json_bodies import JsonBodyRefused, load_json_body
from syncplatform.core.problems import flatten_errors
from syncplatform.partners.models import ChannelConfig, Partner

from .api.serializers import CanonicalOrderSerializer
from .models import ChannelOrderReceipt, Order

# An operator's words for a value a genuine webhook order may lack; {channel} is its code.
EMPTY_VALUE_GAPS = {
    "ship_to.name": "ship-to name is empty",
    "ship_to.line1": "ship-to address line 1 is empty",
    "ship_to.city": "ship-to city is empty",
    "ship_to.postal_code": "ship-to postal code is empty",
    "shipping.method": "no shipping line; set a default shipping method for channel {channel}",
    "fulfillment_location": "no fulfilment location; set a default location for channel {channel}",
}
EMPTY_ADDRESS_GAPS = frozenset(
    EMPTY_VALUE_GAPS[f"ship_to.{name}"] for name in ("line1", "city", "postal_code")
)
EMPTY_ADDRESS_HINT = "For a pickup or digital order, set an empty-address text on channel {channel}"


@dataclass(frozen=True)
class WebhookDelivery:
    """A channel webhook whose signature held: its id, raw body and decoded JSON."""

    channel: Partner
    webhook_id: str
    body: bytes
    payload: object
    correlation_id: str
    api_version: str = ""

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class IncompleteOrder(NeedsPerson):
    """A receipt's body is not a complete canonical order; ``gaps`` names each gap."""

    code = "order_incomplete"

    def __init__(self, receipt: ChannelOrderReceipt, gaps: list[str], hint: str = ""):
        self.gaps = tuple(dict.fromkeys(gaps))
        number = receipt.channel_order_number or "without an id"
        message = f"order {number} from {receipt.channel.code} cannot become an order: "
        super().__init__(message + "; ".join(self.gaps) + (f". {hint}" if hint else ""))


def webhook_scope(channel: Partner) -> str:
    """The idempotency scope of a channel's webhooks: the webhook id is the key within it."""
    return f"shopify:{channel.code}"


def store_receipt(delivery: WebhookDelivery) -> tuple[ChannelOrderReceipt, bool]:
    """``(receipt, True)`` when stored now; ``(the earlier receipt, False)`` for a known id.

    A first delivery of a channel order is its first receipt; another webhook
    id for the same order is stored as a duplicate of that one. Run inside the
    caller's database transaction; the unique constraints settle races.
    """
    number = order_id_of(delivery.payload)
    fields = {
        "channel": delivery.channel,
        "webhook_id": delivery.webhook_id,
        # Longer than any order number: validation names it; it is unique for nothing.
        "channel_order_number": number if len(number) <= 80 else "",
        "api_version": delivery.api_version[:20],
        "correlation_id": delivery.correlation_id,
        "body": delivery.body,
        "body_sha256": delivery.body_sha256,
    }
    try:
        with transaction.atomic():
            return ChannelOrderReceipt.objects.create(**fields), True
    except IntegrityError:
        if known := _receipt_of(delivery):
            return known, False
        first = ChannelOrderReceipt.objects.filter(
            channel=delivery.channel,
            channel_order_number=fields["channel_order_number"],
            duplicate_of=None,
        ).first()
        if first is None:
            raise
    try:
        with transaction.atomic():
            return ChannelOrderReceipt.objects.create(**fields, duplicate_of=first), True
    except IntegrityError:
        if known := _receipt_of(delivery):  # the same delivery, committed concurrently
            return known, False
        raise


def _receipt_of(delivery: WebhookDelivery) -> ChannelOrderReceipt | None:
    return ChannelOrderReceipt.objects.filter(
        channel=delivery.channel, webhook_id=delivery.webhook_id
    ).first()


def canonical_order_of(receipt: ChannelOrderReceipt, payload: object = None) -> dict:
    """A receipt's body as a validated canonical order, with its channel's current defaults.

    ``payload`` is the body already decoded (None: decode ``receipt.body``).
    Validated by the REST intake's own serializer. Raises ``IncompleteOrder``
    naming every gap in an operator's words.
    """
    channel = receipt.channel
    config = ChannelConfig.objects.filter(partner=channel).first()
    if config is None:
        gap = f"channel {channel.code} has no channel config (admin: Partners > {channel.code})"
        raise IncompleteOrder(receipt, [gap])
    try:
        if payload is None:
            payload = load_json_body(bytes(receipt.body))
        canonical = to_canonical_order(
            payload,
            default_location=config.default_location,
            default_shipping_method=config.default_shipping_method,
            empty_address_text=config.empty_address_text,
        )
    except JsonBodyRefused as refused:
        raise IncompleteOrder(receipt, [f"the body is not JSON we take: {refused}"]) from None
    except ChannelPayloadError as refused:
        gaps = [f"Shopify field {path or 'body'}: {problem}" for path, problem in refused.problems]
        raise IncompleteOrder(receipt, gaps) from None
    serializer = CanonicalOrderSerializer(data=canonical)
    if serializer.is_valid():
        return serializer.validated_data
    errors = flatten_errors(serializer.errors)
    gaps = [_gap_in_words(error, canonical, channel) for error in errors]
    hint = EMPTY_ADDRESS_HINT.format(channel=channel.code) if EMPTY_ADDRESS_GAPS & set(gaps) else ""
    raise IncompleteOrder(receipt, gaps, hint)


def _gap_in_words(error: dict, canonical: dict, channel: Partner) -> str:
    """An empty value the channel's defaults could fill, in words; anything else as validated."""
    field = error["field"]
    value = canonical
    for name in field.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    if field in EMPTY_VALUE_GAPS and value == "":
        return EMPTY_VALUE_GAPS[field].format(channel=channel.code)
    return f"{field}: {error['message']}"


def order_numbered(receipt: ChannelOrderReceipt) -> Order | None:
    """The channel's order with the receipt's channel order number, if there is one."""
    if not receipt.channel_order_number:
        return None
    return Order.objects.filter(
        channel=receipt.channel_id, channel_order_number=receipt.channel_order_number
    ).first()
