"""Shopify ``orders/create`` webhooks: signature check and canonical mapping.

The webhook body is Shopify's REST ``Order`` representation itself (not
wrapped in ``{"order": ...}``). Shopify signs it with ``X-Shopify-Hmac-Sha256``
(base64 HMAC-SHA256 of the raw body with the app's webhook secret) and sends a
stable ``X-Shopify-Webhook-Id`` on every redelivery, which makes a good
idempotency key; the Shopify order ``id`` is the channel order number, so a
resent order finds the existing one either way.

Decisions a reader of the canonical order must know:

* **Totals are Shopify's.** The mapped ``grand_total`` must equal Shopify's
  ``total_price`` (and the listed line amounts its ``total_line_items_price``);
  otherwise the payload is refused naming that field, because an order that
  does not add up to what the customer paid must not reach the ERP. Features
  the canonical model has no place for (tips, duties, additional fees) show up
  here as a mismatch.
* **Tax-inclusive shops** (``taxes_included: true``): canonical unit prices are
  tax-exclusive, so each line's tax (Shopify's own ``tax_lines``) is netted out
  of its unit price: ``unit_price = ceil((price * quantity - tax) / quantity)``
  to the currency's minor unit, and the few minor units that rounding up adds
  (fewer than ``quantity``) go into the line's ``discount_amount``. Tax then
  equals what Shopify charged, the line's net revenue is exact and
  ``grand_total == total_price``; only the list-price/discount split moves by
  under one minor unit per piece. Setting tax to zero instead would tell the
  ERP and finance that no tax was collected.
* **Shipping** ``amount`` is what the customer paid for shipping: the sum of
  the shipping lines' prices, minus their own ``discount_allocations``, plus
  their tax in tax-exclusive shops (in tax-inclusive shops the price already
  holds it). The canonical model has no tax on shipping and booking it on a
  goods line would give it a goods tax code, so canonical ``totals.tax`` is tax
  on goods only and can be less than Shopify's ``total_tax``. Shipping
  discounts never enter ``totals.discount``, which must equal the sum of the
  line discounts. ``method`` is the first shipping line's ``code`` (else its
  ``title``); an order without a shipping line (pickup, digital goods, some
  draft orders) gets ``default_shipping_method``, or ``""`` when there is none.
* **Discounts** are read where Shopify allocated them: each line's and each
  shipping line's ``discount_allocations``. ``discount_applications`` (the
  codes and rules) only say why, and every allocation already names its
  application by index, so they are not read; nor is the older
  ``discount_codes``.
* **Currency** is the shop's: ``currency`` and the plain amounts (``price``,
  ``total_price``) are in the shop currency, which the ERP books in.
  ``presentment_currency`` and the ``*_set.presentment_money`` amounts (what a
  buyer abroad saw) are not read.
* **API versions**: only fields every version since 2019 sends are read
  (``is_removed`` on shipping lines, from 2024, counts only when present), so a
  2025 body and an older one map alike; fields a version added or dropped
  (``total_price_usd``, ``current_total_price``, ``*_set``) are ignored.
* **Lines without a SKU** are sent as ``shopify-variant:<variant_id>``, so the
  SKU mapping table can map them like any channel SKU (the order then fails at
  mapping, naming that key, until someone adds the row). A line with neither
  SKU nor variant (a custom item) cannot be mapped and is refused, naming it.
* **Tax code** of a line is the titles of its tax lines joined with ``+``
  (``"GST"``, ``"GST+PST"``), which the code mapping table translates;
  ``exempt_tax_code`` for a line Shopify charged no tax on.
* **Fulfilment location** is Shopify's ``location_id`` (set for POS and some
  app orders: where the sale happened) when present, else ``default_location``
  (web orders: Shopify assigns fulfilment locations only after creation), else
  ``""``.
* **Ship-to** is the shipping address, else the billing address; an order with
  neither is refused. Its name falls back to the person, the company, then the
  customer. An empty street (``address1``), city or ``zip`` becomes
  ``empty_address_text`` (a channel that sells for pickup or as downloads
  says what to send the ERP instead), or stays ``""``.
* **Customer**: guest checkouts have no customer, so ``channel_customer_id``
  is ``""``; the name falls back to the shipping, then billing, address.
* **Order name**: Shopify's ``name`` (``"#1001"``, the shop's prefix and
  number) is ``channel_order_name``: people and Shopify Payments payout
  exports call the order by it, not by its id. It is only read, never
  required: a missing, non-text or over-long (> 80) name is ``""``.

**Complete or not.** The adapter translates; it does not decide whether the
result is a complete order. Values Shopify may leave empty in a genuine order
(street, city, zip, shipping method, location) come back as ``""`` for the
platform's validation to name. What cannot be translated at all (money that
is not money, totals that contradict the lines, a line with nothing to map)
raises ``ChannelPayloadError``, naming every such problem of the body at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.fields import PayloadField
from connectors.channels.money import (
    EXACT,
    format_amount,
    minor_unit,
    read_amount,
    read_currency,
    sum_amounts,
)
from connectors.errors import ConfigError

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TOPIC_HEADER = "X-Shopify-Topic"
VARIANT_SKU_PREFIX = "shopify-variant:"
MAX_ORDER_NAME = 80  # the platform's order name field


def verify_webhook_signature(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    """True when ``header_value`` is the base64 HMAC-SHA256 of ``raw_body`` under ``secret``.

    ``raw_body`` must be the bytes as received (before any JSON decoding). A
    missing, empty or garbled header is simply False, never an exception; the
    digests are compared in constant time. An empty ``secret`` is our own
    misconfiguration and raises ``ConfigError`` rather than refusing every
    webhook as forged.
    """
    if not secret:
        raise ConfigError("Shopify webhook secret is not configured")
    if not header_value:
        return False
    try:
        received = base64.b64decode(header_value.strip(), validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(received, expected)


@dataclass(frozen=True)
class _Line:
    sku: str
    quantity: int
    unit_price: Decimal
    tax_code: str
    tax_amount: Decimal
    discount_amount: Decimal
    listed_amount: Decimal  # Shopify's price * quantity, as the shop shows it


def to_canonical_order(
    webhook: object,
    *,
    default_location: str = "",
    default_shipping_method: str = "",
    empty_address_text: str = "",
    exempt_tax_code: str = "EXEMPT",
) -> dict:
    """Map an ``orders/create`` webhook body to the canonical order dict.

    Pure and deterministic: the same body and defaults always give the same
    dict. Money comes back as strings with the currency's decimals. The
    defaults are the channel's (see the module docstring); an empty one
    leaves its field ``""``. Anything that cannot be mapped raises one
    ``ChannelPayloadError`` naming every problem found; nothing else is
    raised for any decoded-JSON input (``ConfigError`` only for an empty
    ``exempt_tax_code``).
    """
    if not exempt_tax_code.strip():
        raise ConfigError("exempt_tax_code must not be empty")
    order = PayloadField(webhook).object()
    problems = _Problems()
    order_number = problems.read(_read_order_id, order)
    ordered_at = problems.read(order["created_at"].timestamp)
    currency = problems.read(read_currency, order["currency"])
    taxes_included = problems.read(order["taxes_included"].flag)
    location = problems.read(order["location_id"].identifier)
    ship_to = problems.read(_read_ship_to, order, empty_address_text)
    customer = problems.read(_read_customer, order, ship_to or {"name": ""})
    if currency is not None and taxes_included is not None:
        unit = minor_unit(currency)
        lines = _read_lines(order["line_items"], unit, taxes_included, exempt_tax_code, problems)
        shipping = problems.read(_read_shipping, order["shipping_lines"], unit, taxes_included)
        if lines is not None and shipping is not None:
            totals = _totals(lines, shipping[1])
            problems.read(_check_against_shopify_totals, order, lines, totals, unit)
    # A value read above is None only when its problem was noted: then this raises.
    problems.raise_any()
    method, shipping_amount = shipping
    return {
        "channel_order_number": order_number,
        "channel_order_name": _read_order_name(order),
        "ordered_at": ordered_at,
        "currency": currency,
        "customer": customer,
        "ship_to": ship_to,
        "fulfillment_location": location or default_location.strip(),
        "shipping": {
            "method": method or default_shipping_method.strip(),
            "amount": format_amount(shipping_amount, unit),
        },
        "lines": [_canonical_line(number, line, unit) for number, line in enumerate(lines, 1)],
        "totals": {name: format_amount(amount, unit) for name, amount in totals.items()},
    }


def order_id_of(webhook: object) -> str:
    """The Shopify order id in a webhook body as text; ``""`` when it has none to read."""
    try:
        return _read_order_id(PayloadField(webhook).object())
    except ChannelPayloadError:
        return ""


class _Problems:
    """Problems found in the independent parts of one body, so one refusal names them all."""

    def __init__(self):
        self.found: list[ChannelPayloadError] = []

    def read(self, reader, *args):
        """``reader(*args)``, or None once its problem is noted."""
        try:
            return reader(*args)
        except ChannelPayloadError as problem:
            self.found.append(problem)
            return None

    def raise_any(self) -> None:
        if self.found:
            raise ChannelPayloadError.combining(self.found)


def _read_order_id(order: PayloadField) -> str:
    order_id = order["id"].identifier()
    if not order_id:
        raise order["id"].error("missing")
    return order_id


def _read_order_name(order: PayloadField) -> str:
    name = order["name"].value
    if not isinstance(name, str) or len(name.strip()) > MAX_ORDER_NAME:
        return ""
    return name.strip()


def _read_lines(
    items: PayloadField,
    unit: Decimal,
    taxes_included: bool,
    exempt_tax_code: str,
    problems: _Problems,
) -> list[_Line] | None:
    """Every line, or None once each bad line's problem is noted."""
    entries = problems.read(items.entries)
    if entries is None:
        return None
    if not entries:
        problems.found.append(items.error("an order needs at least one line item"))
        return None
    lines = [
        problems.read(_read_line, item, unit, taxes_included, exempt_tax_code) for item in entries
    ]
    return None if any(line is None for line in lines) else lines


def _read_line(
    item: PayloadField, unit: Decimal, taxes_included: bool, exempt_tax_code: str
) -> _Line:
    item = item.object()
    sku = _read_sku(item)
    quantity = item["quantity"].quantity()
    unit_price = read_amount(item["price"], unit)
    listed = unit_price * quantity
    tax_lines = [tax_line.object() for tax_line in item["tax_lines"].entries()]
    tax = sum_amounts([tax_line["price"] for tax_line in tax_lines], unit)
    allocations = [allocation.object() for allocation in item["discount_allocations"].entries()]
    discount = sum_amounts([allocation["amount"] for allocation in allocations], unit)
    if discount > listed:
        raise item["discount_allocations"].error(f"discounts {discount} exceed the line's {listed}")
    if taxes_included:
        if tax > listed - discount:
            raise item["tax_lines"].error(
                f"included tax {tax} exceeds the line's discounted {listed - discount}"
            )
        unit_price = EXACT.divide(listed - tax, quantity).quantize(unit, rounding=ROUND_CEILING)
        discount += unit_price * quantity - (listed - tax)
    titles = dict.fromkeys(tax_line["title"].required_text() for tax_line in tax_lines)
    return _Line(
        sku, quantity, unit_price, "+".join(titles) or exempt_tax_code, tax, discount, listed
    )


def _read_sku(item: PayloadField) -> str:
    sku = item["sku"].text()
    if sku:
        return sku
    variant_id = item["variant_id"].identifier()
    if variant_id:
        return VARIANT_SKU_PREFIX + variant_id
    title = item["title"].value if isinstance(item["title"].value, str) else ""
    raise item["sku"].error(
        f"line {title[:60]!r} has neither a SKU nor a variant_id, so no ERP material can be"
        " mapped to it"
    )


def _read_shipping(
    shipping_lines: PayloadField, unit: Decimal, taxes_included: bool
) -> tuple[str, Decimal]:
    charged = [line.object() for line in shipping_lines.entries()]
    charged = [line for line in charged if not line["is_removed"].flag()]
    amount = Decimal(0)
    for line in charged:
        price = read_amount(line["price"], unit)
        allocations = [allocation.object() for allocation in line["discount_allocations"].entries()]
        discount = sum_amounts([allocation["amount"] for allocation in allocations], unit)
        if discount > price:
            raise line["discount_allocations"].error(f"discounts {discount} exceed the {price}")
        amount += price - discount
        if not taxes_included:
            tax_lines = [tax_line.object() for tax_line in line["tax_lines"].entries()]
            amount += sum_amounts([tax_line["price"] for tax_line in tax_lines], unit)
    method = (charged[0]["code"].text() or charged[0]["title"].text()) if charged else ""
    return method, amount


def _totals(lines: list[_Line], shipping: Decimal) -> dict[str, Decimal]:
    """The canonical totals, by the platform's own rules, from the mapped lines."""
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    discount = sum((line.discount_amount for line in lines), Decimal(0))
    return {
        "subtotal": subtotal,
        "tax": tax,
        "shipping": shipping,
        "discount": discount,
        "grand_total": subtotal + tax + shipping - discount,
    }


def _check_against_shopify_totals(
    order: PayloadField, lines: list[_Line], totals: dict[str, Decimal], unit: Decimal
) -> None:
    listed_field = order["total_line_items_price"]
    if not listed_field.is_missing:
        stated = read_amount(listed_field, unit)
        listed = sum((line.listed_amount for line in lines), Decimal(0))
        if stated != listed:
            raise listed_field.error(
                f"is {format_amount(stated, unit)} but line_items add up to"
                f" {format_amount(listed, unit)} (price x quantity)"
            )
    stated_total = read_amount(order["total_price"], unit)
    if stated_total != totals["grand_total"]:
        parts = ", ".join(f"{name} {format_amount(totals[name], unit)}" for name in totals)
        raise order["total_price"].error(
            f"is {format_amount(stated_total, unit)} but the mapped order adds up to different"
            f" totals ({parts}); tips, duties or fees are not mapped"
        )


def _read_ship_to(order: PayloadField, empty_address_text: str) -> dict[str, str]:
    for key in ("shipping_address", "billing_address"):
        if not order[key].is_missing:
            address = order[key].object()
            break
    else:
        raise order["shipping_address"].error("missing, and there is no billing_address either")
    country = address["country_code"].required_text()
    if not (len(country) == 2 and country.isascii() and country.isupper()):
        raise address["country_code"].error(f"not an ISO 3166 country code: {country[:20]!r}")
    customer = order["customer"]
    customer_name = _person_name(customer) if isinstance(customer.value, dict) else ""
    empty = empty_address_text.strip()
    return {
        "name": address["name"].text()
        or _person_name(address)
        or address["company"].text()
        or customer_name,
        "line1": address["address1"].text(empty),
        "line2": address["address2"].text(),
        "city": address["city"].text(empty),
        "region": address["province_code"].text(),
        "postal_code": address["zip"].text(empty),
        "country": country,
        "phone": address["phone"].text(),
    }


def _read_customer(order: PayloadField, ship_to: dict[str, str]) -> dict[str, str]:
    customer = order["customer"]
    if not customer.is_missing:
        customer.object()
    emails = (order["email"].text(), order["contact_email"].text(), customer["email"].text())
    billing = order["billing_address"]
    billing_name = billing["name"].text() if not billing.is_missing else ""
    return {
        "channel_customer_id": customer["id"].identifier(),
        "name": _person_name(customer) or ship_to["name"] or billing_name,
        "email": next((email for email in emails if email), ""),
    }


def _person_name(person: PayloadField) -> str:
    parts = (person["first_name"].text(), person["last_name"].text())
    return " ".join(part for part in parts if part)


def _canonical_line(number: int, line: _Line, unit: Decimal) -> dict:
    return {
        "line_number": number,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": format_amount(line.unit_price, unit),
        "tax_code": line.tax_code,
        "tax_amount": format_amount(line.tax_amount, unit),
        "discount_amount": format_amount(line.discount_amount, unit),
    }
