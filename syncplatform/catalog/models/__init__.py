"""Catalog: ERP materials and prices, their listings per channel, and the loads that fill them."""

from .listings import Listing
from .loads import CatalogLoad, RefusedRow
from .price_days import PriceDayMark
from .products import Barcode, Price, Product, ProductUnit
from .publication import ListingPublication, PublicationRun, ShopLocation  # noqa: F401
from .sources import CatalogSource

__all__ = [
    "Barcode",
    "CatalogLoad",
    "CatalogSource",
    "Listing",
    "Price",
    "PriceDayMark",
    "Product",
    "ProductUnit",
    "RefusedRow",
]
