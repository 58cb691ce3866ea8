"""The canonical order as JSON (DESIGN §9) and the status view of a stored order.

Every limit checked here is also in the OpenAPI schema (drf-spectacular reads
the fields' bounds, patterns and enums), so a channel can see what is accepted.
"""

import re
from decimal import Decimal

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connectors.channels.money import MINOR_UNIT_EXPONENTS
from syncplatform.core.currencies import ISO_4217
from syncplatform.orders.choices import OrderStatus

# Stored amounts are numeric(14, 2): twelve digits before the point, two after.
AMOUNT_DIGITS, AMOUNT_DECIMALS = 12, 2
AMOUNT_PATTERN = rf"^[0-9]{{1,{AMOUNT_DIGITS}}}(\.[0-9]{{1,{AMOUNT_DECIMALS}}})?$"
# Looser than the pattern, to say what is wrong with an amount that misses it.
_AMOUNT_LIKE = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
# The ERP numbers items line_number x 10 in six digits (SalesOrderItemID).
MAX_LINE_NUMBER = 99_999
MAX_QUANTITY = 1_000_000


@extend_schema_field(
    {
        "type": "string",
        "pattern": AMOUNT_PATTERN,
        "example": "19.99",
        "description": "Decimal string: ASCII digits, no sign, at most the currency's "
        "minor-unit decimals (none for JPY) and never more than two.",
    }
)
class Money(serializers.Field):
    """A decimal string of ASCII digits with at most two decimals, never negative.

    JSON numbers are refused (floats lose cents), and so is anything
    ``Decimal()`` would read but a channel should not send: whitespace, ``+``,
    ``_``, exponents, other scripts' digits. The currency's own minor unit
    (fewer decimals for JPY) is checked by the order, which knows the currency.
    """

    default_error_messages = {
        "type": 'must be a decimal string such as "19.99", not a {kind}',
        "invalid": 'must be a decimal string such as "19.99"',
        "precision": f"must have at most {AMOUNT_DECIMALS} decimals",
        "negative": "must not be negative",
        "range": "is too large",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type", kind=type(data).__name__)
        amount = _AMOUNT_LIKE.fullmatch(data)
        if amount is None:
            self.fail("invalid")
        sign, units, decimals = amount.groups()
        if sign:
            self.fail("negative")
        if len(units) > AMOUNT_DIGITS:
            self.fail("range")
        if decimals and len(decimals) > AMOUNT_DECIMALS:
            self.fail("precision")
        return Decimal(data)

    def to_representation(self, value):
        return f"{value:.2f}"


@extend_schema_field({"type": "string", "enum": sorted(ISO_4217)})
class CurrencyField(serializers.CharField):
    """An active ISO 4217 code (``syncplatform.core.currencies``)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in ISO_4217:
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code")
        return value


def amount_decimals(currency: str) -> int:
    """Decimals an amount in ``currency`` may have: its minor unit, within what is stored."""
    return min(MINOR_UNIT_EXPONENTS.get(currency, 2), AMOUNT_DECIMALS)


class StrictInteger(serializers.IntegerField):
    """An integer given as a JSON number; "2" and 2.0 are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class CustomerSerializer(serializers.Serializer):
    # Blank for guest checkouts (Shopify sends no customer): the channel's
    # default sold-to covers them, or the posting fails naming the customer.
    channel_customer_id = serializers.CharField(max_length=80, allow_blank=True)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=120)
    line1 = serializers.CharField(min_length=1, max_length=120)
    line2 = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    city = serializers.CharField(min_length=1, max_length=80)
    region = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(min_length=1, max_length=20)
    country = serializers.RegexField(
        r"^[A-Z]{2}$", error_messages={"invalid": 'must be an ISO 3166 alpha-2 code such as "US"'}
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class ShippingSerializer(serializers.Serializer):
    method = serializers.CharField(min_length=1, max_length=40)
    amount = Money()


class LineListSerializer(serializers.ListSerializer):
    """The lines, counted before any is validated: a 100,000-line body is refused cheaply."""

    def to_internal_value(self, data):
        limit = settings.SYNC_MAX_ORDER_LINES
        if isinstance(data, list) and len(data) > limit:
            raise serializers.ValidationError(
                [f"at most {limit} lines per order, got {len(data)}"], code="max_length"
            )
        return super().to_internal_value(data)


class LineListSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular leaves a list serializer's bounds out; the schema states them."""

    target_class = LineListSerializer

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "minItems": 1, "maxItems": self.target.max_length}


class LineSerializer(serializers.Serializer):
    line_number = StrictInteger(min_value=1, max_value=MAX_LINE_NUMBER)
    sku = serializers.CharField(min_length=1, max_length=80)
    quantity = StrictInteger(
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={"min_value": "must be a positive integer"},
    )
    unit_price = Money()
    tax_code = serializers.CharField(min_length=1, max_length=40)
    tax_amount = Money()
    discount_amount = Money(required=False, default=Decimal(0))

    class Meta:
        list_serializer_class = LineListSerializer


class TotalsSerializer(serializers.Serializer):
    subtotal = Money()
    tax = Money()
    shipping = Money()
    discount = Money()
    grand_total = Money()


class CanonicalOrderSerializer(serializers.Serializer):
    """Validates a canonical order; totals must add up to the lines (else 422)."""

    channel_order_number = serializers.CharField(min_length=1, max_length=80)
    # Optional: the name the channel shows for the order where it is not its number
    # (Shopify's "#1001"); settlement files may name the order by it.
    channel_order_name = serializers.CharField(max_length=80, allow_blank=True, default="")
    ordered_at = serializers.DateTimeField()
    currency = CurrencyField(min_length=3, max_length=3)
    customer = CustomerSerializer()
    ship_to = AddressSerializer()
    fulfillment_location = serializers.CharField(min_length=1, max_length=40)
    shipping = ShippingSerializer()
    lines = LineSerializer(many=True, allow_empty=False)
    totals = TotalsSerializer()

    def get_fields(self):
        fields = super().get_fields()
        # Read per serializer, not at import: operators and tests change the setting.
        fields["lines"].max_length = settings.SYNC_MAX_ORDER_LINES
        return fields

    def validate_lines(self, lines):
        numbers = [line["line_number"] for line in lines]
        if len(set(numbers)) != len(numbers):
            raise serializers.ValidationError("line_number values must be unique")
        return lines

    def validate(self, data):
        _check_amount_decimals(data)
        lines, totals = data["lines"], data["totals"]
        expected = {
            "subtotal": sum((ln["quantity"] * ln["unit_price"] for ln in lines), Decimal(0)),
            "tax": sum((ln["tax_amount"] for ln in lines), Decimal(0)),
            "discount": sum((ln["discount_amount"] for ln in lines), Decimal(0)),
            "shipping": data["shipping"]["amount"],
        }
        expected["grand_total"] = (
            expected["subtotal"] + expected["tax"] + expected["shipping"] - expected["discount"]
        )
        wrong = {
            f"totals.{name}": [f"is {totals[name]} but the lines add up to {value:.2f}"]
            for name, value in expected.items()
            if totals[name] != value
        }
        if wrong:
            raise serializers.ValidationError(wrong)
        return data


def _check_amount_decimals(order: dict) -> None:
    """Every amount has at most its currency's decimals (JPY none), each named if not."""
    allowed = amount_decimals(order["currency"])
    amounts = {"shipping.amount": order["shipping"]["amount"]}
    for n, line in enumerate(order["lines"]):
        for name in ("unit_price", "tax_amount", "discount_amount"):
            amounts[f"lines[{n}].{name}"] = line[name]
    amounts.update({f"totals.{name}": value for name, value in order["totals"].items()})
    if allowed == 0:
        message = f"must be a whole amount: {order['currency']} has no minor unit"
    else:
        message = f"must have at most {allowed} decimals in {order['currency']}"
    wrong = {
        field: [message] for field, value in amounts.items() if -value.as_tuple().exponent > allowed
    }
    if wrong:
        raise serializers.ValidationError(wrong)


class IntakeResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    correlation_id = serializers.CharField()
    status_url = serializers.CharField()


class EventSummarySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    state = serializers.CharField(source="to_state")
    message = serializers.CharField()


class OrderLineStatusSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    quantity_shipped = serializers.IntegerField()


class OrderStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel_order_number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices, source="public_status")
    erp_document_number = serializers.CharField(allow_blank=True)
    correlation_id = serializers.CharField()
    last_error = serializers.SerializerMethodField()
    lines = OrderLineStatusSerializer(many=True)
    events = serializers.SerializerMethodField()

    def get_last_error(self, order) -> str | None:
        tx = order.erp_transaction
        if tx and tx.last_error_code:
            return f"{tx.last_error_code}: {tx.last_error_message}"
        return None

    def get_events(self, order) -> list[dict]:
        tx = order.erp_transaction
        if tx is None:
            return []
        events = list(tx.events.order_by("-id")[:20])[::-1]
        return EventSummarySerializer(events, many=True).data
