"""Plain values exchanged with the ERP's sales-order service.

Money and quantities are :class:`~decimal.Decimal` (never float), amounts are in
the order's ``currency``, dates are :class:`~datetime.date`. All values are
frozen: build a new one to change it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    """A ship-to address. Empty strings mean "not given" and are not sent."""

    name: str
    street: str
    street2: str
    city: str
    region: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2, e.g. ``US``."""
    phone: str
    email: str


@dataclass(frozen=True)
class SalesOrderItem:
    """One sales-order item, already in the ERP's codes (material, unit, plant...)."""

    item_number: int
    """SAP style: 10, 20, 30 ... unique within the order."""
    material: str
    quantity: Decimal
    """In ``unit``; must be greater than zero."""
    unit: str
    plant: str
    storage_location: str
    net_price: Decimal
    """Price of one ``unit`` before tax and discount."""
    tax_code: str
    tax_amount: Decimal
    """Tax of the whole item."""
    discount_amount: Decimal
    """Discount of the whole item."""


@dataclass(frozen=True)
class SalesOrder:
    """A sales order to create in the ERP.

    ``external_reference`` is our stable reference for the order (at most 35
    characters): the ERP keeps it unique, so it is what makes a repeated post
    detectable.
    """

    external_reference: str
    sold_to: str
    ship_to: Address
    currency: str
    """ISO 4217, e.g. ``USD``."""
    order_date: date
    shipping_condition: str
    shipping_amount: Decimal
    items: tuple[SalesOrderItem, ...]
    sales_organisation: str | None = None
    distribution_channel: str | None = None
    carrier_code: str | None = None


@dataclass(frozen=True)
class SalesOrderConfirmation:
    """What the ERP says about one of its sales orders.

    ``net_amount`` is the sum over items of quantity x net price - discount
    (without tax and shipping), in ``currency``.
    """

    document_number: str
    """The ERP's 10-digit sales-order number, e.g. ``0000010000``."""
    external_reference: str
    created_at: datetime
    """When the ERP created the document (timezone-aware)."""
    item_count: int
    net_amount: Decimal
    currency: str
    delivery_number: str = ""
    """The outbound delivery the ERP created with the order (SAP's immediate delivery):
    the number a shipment confirmation (DELVRY07 SHPCON, E1EDL20-VBELN) names. Empty
    when the ERP gives none."""
    total_net_amount: Decimal | None = None
    """The order's net value as the ERP priced it (SAP's TotalNetAmount): items less
    discounts plus shipping, without tax, in ``currency``. None when the ERP gives none
    (an ERP or a document older than the field)."""
    total_tax_amount: Decimal | None = None
    """The order's tax as the ERP computed it (SAP's TotalTaxAmount); None likewise."""
