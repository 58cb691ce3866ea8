"""The canonical order as JSON (DESIGN §9) and the status view of a stored order."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from rest_framework import serializers

from syncplatform.core.currencies import ISO_4217


class Money(serializers.Field):
    """A decimal string with at most two decimals. JSON numbers are refused: floats lose cents."""

    default_error_messages = {
        "type": 'must be a decimal string such as "19.99", not a {kind}',
        "invalid": 'must be a decimal string such as "19.99"',
        "precision": "must have at most 2 decimals",
        "negative": "must not be negative",
        "range": "is too large",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type", kind=type(data).__name__)
        try:
            value = Decimal(data)
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if value.as_tuple().exponent < -2:
            self.fail("precision")
        if value < 0:
            self.fail("negative")
        if value >= Decimal("1e12"):
            self.fail("range")
        return value.quantize(Decimal("0.01"))

    def to_representation(self, value):
        return f"{value:.2f}"


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
    name = serializers.CharField(max_length=120)
    line1 = serializers.CharField(max_length=120)
    line2 = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=80)
    region = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(
        r"^[A-Z]{2}$", error_messages={"invalid": 'must be an ISO 3166 alpha-2 code such as "US"'}
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class ShippingSerializer(serializers.Serializer):
    method = serializers.CharField(max_length=40)
    amount = Money()


class LineSerializer(serializers.Serializer):
    line_number = StrictInteger(min_value=1)
    sku = serializers.CharField(max_length=80)
    quantity = StrictInteger(
        min_value=1, max_value=1_000_000, error_messages={"min_value": "must be a positive integer"}
    )
    unit_price = Money()
    tax_code = serializers.CharField(max_length=40)
    tax_amount = Money()
    discount_amount = Money(required=False, default=Decimal("0.00"))


class TotalsSerializer(serializers.Serializer):
    subtotal = Money()
    tax = Money()
    shipping = Money()
    discount = Money()
    grand_total = Money()


class CanonicalOrderSerializer(serializers.Serializer):
    """Validates a canonical order; totals must add up to the lines (else 422)."""

    channel_order_number = serializers.CharField(max_length=80)
    ordered_at = serializers.DateTimeField()
    currency = serializers.CharField(min_length=3, max_length=3)
    customer = CustomerSerializer()
    ship_to = AddressSerializer()
    fulfillment_location = serializers.CharField(max_length=40)
    shipping = ShippingSerializer()
    lines = LineSerializer(many=True, allow_empty=False)
    totals = TotalsSerializer()

    def validate_currency(self, value):
        if value not in ISO_4217:
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code")
        return value

    def validate_lines(self, lines):
        limit = settings.SYNC_MAX_ORDER_LINES
        if len(lines) > limit:
            raise serializers.ValidationError(f"at most {limit} lines per order, got {len(lines)}")
        numbers = [line["line_number"] for line in lines]
        if len(set(numbers)) != len(numbers):
            raise serializers.ValidationError("line_number values must be unique")
        return lines

    def validate(self, data):
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


class IntakeResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
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
    status = serializers.CharField(source="public_status")
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
