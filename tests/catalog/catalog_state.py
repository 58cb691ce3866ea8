"""A digest of everything a load writes, to compare two catalogs (resumed vs uninterrupted)."""

import hashlib

from django.db import connection

_TABLES = {
    "products": "SELECT number, material_type, material_group, base_unit, is_deleted, "
    "descriptions::text, sales_areas::text, plants::text, encode(content_hash, 'hex'), "
    "encode(raw_hash, 'hex') FROM catalog_product ORDER BY number",
    "units": "SELECT p.number, u.unit, u.numerator, u.denominator, u.main_ean "
    "FROM catalog_productunit u JOIN catalog_product p ON p.id = u.product_id "
    "ORDER BY p.number, u.unit",
    "barcodes": "SELECT p.number, u.unit, b.ean, b.is_main FROM catalog_barcode b "
    "JOIN catalog_productunit u ON u.id = b.unit_id JOIN catalog_product p ON p.id = u.product_id "
    "ORDER BY p.number, u.unit, b.ean",
    "prices": "SELECT condition_type, sales_org, distribution_channel, material, amount, "
    "currency, per, unit, valid_from, valid_to, is_deleted, encode(content_hash, 'hex') "
    "FROM catalog_price ORDER BY 1, 2, 3, 4, 9",
    "listings": "SELECT l.channel_id, p.number, l.channel_sku, l.is_listed, "
    "encode(l.content_hash, 'hex'), l.publish_state FROM catalog_listing l "
    "JOIN catalog_product p ON p.id = l.product_id ORDER BY 1, 2",
}


def catalog_digest(using=None) -> dict[str, str]:
    """Per table, the row count and a sha256 of its rows in key order."""
    digests = {}
    with (using or connection).cursor() as cursor:
        for name, sql in _TABLES.items():
            cursor.execute(sql)
            rows = cursor.fetchall()
            digests[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return digests
