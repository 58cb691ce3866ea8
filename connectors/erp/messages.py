"""Sales-order values <-> the zeep arguments and results of the SOAP operations.

Empty optional strings are left out of the message (zeep omits ``None``);
decimals go out as plain ``xsd:decimal`` text (zeep formats them without exponent).
"""

from datetime import UTC
from decimal import Decimal

from connectors.erp.models import Address, SalesOrder, SalesOrderConfirmation, SalesOrderItem
from connectors.erp.sales_order_service import EXTERNAL_REFERENCE_MAX_LENGTH
from connectors.errors import PermanentError


def _optional(value: str | None) -> str | None:
    return value or None


def check_external_reference(external_reference: str) -> None:
    """PermanentError unless the reference fits the ERP's 1..35 characters."""
    if not 1 <= len(external_reference) <= EXTERNAL_REFERENCE_MAX_LENGTH:
        raise PermanentError(
            f"external reference {external_reference!r} must be 1 to"
            f" {EXTERNAL_REFERENCE_MAX_LENGTH} characters",
            code="erp_invalid_reference",
        )


def address_message(address: Address) -> dict:
    return {
        "Name": address.name,
        "StreetName": address.street,
        "AdditionalStreetName": _optional(address.street2),
        "CityName": address.city,
        "RegionCode": _optional(address.region),
        "PostalCode": _optional(address.postal_code),
        "CountryCode": address.country,
        "PhoneNumber": _optional(address.phone),
        "EmailURI": _optional(address.email),
    }


def item_message(item: SalesOrderItem) -> dict:
    return {
        "ItemID": str(item.item_number),
        "Material": item.material,
        "RequestedQuantity": {"_value_1": item.quantity, "unitCode": item.unit},
        "Plant": item.plant,
        "StorageLocation": _optional(item.storage_location),
        "NetPrice": item.net_price,
        "TaxCode": _optional(item.tax_code),
        "TaxAmount": item.tax_amount,
        "DiscountAmount": item.discount_amount,
    }


def sales_order_message(order: SalesOrder) -> dict:
    """The ``SalesOrder`` argument of SalesOrderCreateRequestConfirmation_In."""
    return {
        "ExternalReference": order.external_reference,
        "SalesOrganisation": _optional(order.sales_organisation),
        "DistributionChannel": _optional(order.distribution_channel),
        "SoldToParty": order.sold_to,
        "ShipToParty": {"Address": address_message(order.ship_to)},
        "CurrencyCode": order.currency,
        "OrderDate": order.order_date,
        "ShippingCondition": order.shipping_condition,
        "CarrierCode": _optional(order.carrier_code),
        "ShippingAmount": order.shipping_amount,
        "Item": [item_message(item) for item in order.items],
    }


def confirmation_from(summary) -> SalesOrderConfirmation:
    """A SalesOrderConfirmation from a zeep ``SalesOrderSummary`` result."""
    return SalesOrderConfirmation(
        document_number=summary.SalesOrderID,
        external_reference=summary.ExternalReference,
        created_at=summary.CreationDateTime.astimezone(UTC),
        item_count=int(summary.ItemCount),
        net_amount=Decimal(summary.NetAmount),
        currency=summary.CurrencyCode,
        delivery_number=summary.DeliveryID or "",
        total_net_amount=_amount_or_none(getattr(summary, "TotalNetAmount", None)),
        total_tax_amount=_amount_or_none(getattr(summary, "TotalTaxAmount", None)),
    )


def _amount_or_none(value) -> Decimal | None:
    # zeep already gives xsd:decimal as Decimal; str() keeps any other type exact too.
    return None if value is None else Decimal(str(value))
