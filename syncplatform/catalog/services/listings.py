"""Listings: which product is sold on which channel under which SKU, derived after each write.

A product is listed on a channel whose config names a sales org and a
distribution channel when the product is not deleted, one of its sales areas
(E1MVKEM) is that pair and not flagged deleted, and the channel has a SKU
mapping in force for the material. With "new materials get channel SKU =
material number" on the channel config, a listed material without a mapping
gets one, with its django-simple-history row (who, when, why), as every
mapping change has.
A listing that stops qualifying stays, unlisted, so the channel is told.

The listing's ``content_hash`` digests the product's hash, the channel SKU,
the listed flag and the hash of the price in force today (the channel's
condition type in its sales area). Only a listing whose digest changed is
written, set to ``pending`` and stamped ``changed_at``: that is the
publication queue. Derivation runs for a set of products (those a chunk
wrote, or whose prices it wrote), never over the whole catalog.
"""

import hashlib

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from syncplatform.mappings.models import SkuMapping
from syncplatform.partners.models import ChannelConfig

from ..choices import PublishState
from ..models import Listing, Price, Product

_CHANNELS = """
SELECT partner_id, sales_org, distribution_channel, price_condition_type,
       new_materials_get_material_sku
FROM partners_channelconfig WHERE sales_org <> '' AND distribution_channel <> ''
"""

# New materials get channel SKU = material number: the mappings and their
# django-simple-history rows ("+", the change reason, no user: a load runs in a
# worker, outside any request) are written by one statement per chunk. Through
# the ORM (bulk_create_with_history) they took 44 % of a 100,000-material
# full load (py-spy), two model instances per material.
_CREATE_SKU_MAPPINGS = """
WITH unmapped AS (
    SELECT p.number, p.base_unit FROM catalog_product p
    WHERE p.id IN ({products}) AND NOT p.is_deleted
      AND p.sales_areas @> jsonb_build_array(jsonb_build_object(
          'VKORG', %(org)s::text, 'VTWEG', %(dc)s::text, 'LVORM', false))
      AND NOT EXISTS (SELECT 1 FROM mappings_skumapping m
                      WHERE m.channel_id = %(channel)s AND m.erp_material = p.number)
), created AS (
    INSERT INTO mappings_skumapping (
        created_at, updated_at, channel_id, is_active, channel_sku, erp_material, erp_unit
    )
    SELECT %(now)s, %(now)s, %(channel)s, true, number, number, base_unit FROM unmapped
    ORDER BY number
    ON CONFLICT (channel_id, channel_sku) DO NOTHING
    RETURNING *
)
INSERT INTO mappings_historicalskumapping (
    id, created_at, updated_at, is_active, valid_from, valid_to, channel_sku, erp_material,
    erp_unit, channel_id, history_date, history_change_reason, history_type, history_user_id
)
SELECT id, created_at, updated_at, is_active, valid_from, valid_to, channel_sku, erp_material,
       erp_unit, channel_id, %(now)s, %(reason)s, '+', NULL
FROM created ORDER BY id
"""
SKU_MAPPING_REASON = "catalog load: new material, channel SKU = material number"

# Containment of {VKORG, VTWEG, LVORM: false} matches a sales area not flagged
# deleted, whatever its status; the ORM path below decides listed-ness the same way.
# The SKU mapping, the price in force and the listing are each looked up per product
# (LATERAL ... LIMIT 1, on their indexes), so the plan does not depend on statistics:
# as set-wide joins, a first load into empty tables (never analysed, and the runtime
# role may not ANALYZE) was planned as nested loops over sequential scans, and one
# chunk of 10,000 took 12 s of PostgreSQL CPU instead of 0.3 s.
_DERIVE = """
WITH products AS (
    SELECT p.id AS product_id, p.number, p.content_hash,
           (NOT p.is_deleted AND p.sales_areas @> jsonb_build_array(jsonb_build_object(
               'VKORG', %(org)s::text, 'VTWEG', %(dc)s::text, 'LVORM', false))) AS in_area
    FROM catalog_product p WHERE p.id IN ({products})
), wanted AS (
    SELECT pd.product_id, COALESCE(s.channel_sku, l.channel_sku) AS channel_sku,
           (pd.in_area AND s.channel_sku IS NOT NULL) AS is_listed, pd.content_hash,
           pr.content_hash AS price_hash
    FROM products pd
    LEFT JOIN LATERAL (
        SELECT m.channel_sku FROM mappings_skumapping m
        WHERE m.channel_id = %(channel)s AND m.erp_material = pd.number AND m.is_active
          AND (m.valid_from IS NULL OR m.valid_from <= %(today)s)
          AND (m.valid_to IS NULL OR m.valid_to >= %(today)s)
        ORDER BY m.id LIMIT 1
    ) s ON true
    LEFT JOIN LATERAL (
        SELECT pr.content_hash FROM catalog_price pr
        WHERE pr.material = pd.number AND pr.sales_org = %(org)s
          AND pr.distribution_channel = %(dc)s AND pr.condition_type = %(condition)s
          AND NOT pr.is_deleted AND pr.valid_from <= %(today)s AND pr.valid_to >= %(today)s
        ORDER BY pr.valid_from DESC LIMIT 1
    ) pr ON true
    LEFT JOIN LATERAL (
        SELECT l.id, l.channel_sku FROM catalog_listing l
        WHERE l.channel_id = %(channel)s AND l.product_id = pd.product_id LIMIT 1
    ) l ON true
    WHERE (pd.in_area AND s.channel_sku IS NOT NULL) OR l.id IS NOT NULL
)
INSERT INTO catalog_listing AS l (
    channel_id, product_id, channel_sku, is_listed, content_hash, publish_state, changed_at
)
SELECT %(channel)s, product_id, channel_sku, is_listed,
       sha256(content_hash || convert_to(channel_sku || '|' || is_listed::text || '|', 'UTF8')
              || COALESCE(price_hash, ''::bytea)),
       %(pending)s, %(now)s
FROM wanted
ON CONFLICT (channel_id, product_id) DO UPDATE SET
    channel_sku = EXCLUDED.channel_sku, is_listed = EXCLUDED.is_listed,
    content_hash = EXCLUDED.content_hash, publish_state = EXCLUDED.publish_state,
    changed_at = EXCLUDED.changed_at
WHERE l.content_hash <> EXCLUDED.content_hash
"""


def listing_hash(product_hash: bytes, sku: str, is_listed: bool, price_hash: bytes | None) -> bytes:
    """The digest ``_DERIVE`` computes in SQL, for the ORM path and for tests."""
    flag = "true" if is_listed else "false"
    return hashlib.sha256(
        bytes(product_hash) + f"{sku}|{flag}|".encode() + bytes(price_hash or b"")
    ).digest()


def derive_postgresql(cursor, products_sql: str) -> int:
    """Derive the listings of the products ``products_sql`` selects; returns listings changed."""
    if connection.in_atomic_block:
        # _DERIVE's estimate (per-product LATERAL look-ups over temp tables with no
        # statistics) passes jit_above_cost, and compiling it took 83 ms of a 1.7 s
        # statement per 10,000-material chunk (EXPLAIN ANALYZE) for nothing: it runs
        # index look-ups, not the long scans JIT pays off on. Until the chunk commits.
        cursor.execute("SET LOCAL jit = off")
    cursor.execute(_CHANNELS)
    changed = 0
    today, now = timezone.localdate(), timezone.now()
    for channel, org, dc, condition, auto_sku in cursor.fetchall():
        area = {"channel": channel, "org": org, "dc": dc}
        if auto_sku:
            cursor.execute(
                _CREATE_SKU_MAPPINGS.format(products=products_sql),
                {**area, "now": now, "reason": SKU_MAPPING_REASON},
            )
        cursor.execute(
            _DERIVE.format(products=products_sql),
            {
                **area,
                "condition": condition,
                "today": today,
                "now": now,
                "pending": PublishState.PENDING,
            },
        )
        changed += cursor.rowcount
    return changed


def _create_sku_mappings(channel_id: int, materials: list[tuple[str, str]]) -> None:
    if materials:
        bulk_create_with_history(
            [
                SkuMapping(
                    channel_id=channel_id, channel_sku=number, erp_material=number, erp_unit=unit
                )
                for number, unit in materials
            ],
            SkuMapping,
            batch_size=5000,
            default_change_reason=SKU_MAPPING_REASON,
        )


# --- the same rule through the ORM (SQLite) -----------------------------------
def derive_orm(product_ids: list[int]) -> int:
    if not product_ids:
        return 0
    today, now, changed = timezone.localdate(), timezone.now(), 0
    configs = ChannelConfig.objects.exclude(sales_org="").exclude(distribution_channel="")
    products = list(Product.objects.filter(pk__in=product_ids))
    for config in configs:
        channel = config.partner_id
        if config.new_materials_get_material_sku:
            taken = set(
                SkuMapping.objects.filter(channel_id=channel).values_list("erp_material", flat=True)
            ) | set(
                SkuMapping.objects.filter(channel_id=channel).values_list("channel_sku", flat=True)
            )
            _create_sku_mappings(
                channel,
                [
                    (p.number, p.base_unit)
                    for p in products
                    if _in_area(p, config) and p.number not in taken
                ],
            )
        skus = dict(
            SkuMapping.objects.in_force(today)
            .filter(channel_id=channel, erp_material__in=[p.number for p in products])
            .order_by("-id")
            .values_list("erp_material", "channel_sku")
        )
        existing = {
            listing.product_id: listing
            for listing in Listing.objects.filter(channel_id=channel, product__in=products)
        }
        for product in products:
            changed += _derive_one(
                config, product, skus.get(product.number), existing.get(product.pk), today, now
            )
    return changed


def _derive_one(config, product, sku, listing, today, now) -> int:
    is_listed = _in_area(product, config) and sku is not None
    if listing is None and not is_listed:
        return 0
    sku = sku or listing.channel_sku
    price = (
        Price.objects.filter(
            material=product.number,
            sales_org=config.sales_org,
            distribution_channel=config.distribution_channel,
            condition_type=config.price_condition_type,
            is_deleted=False,
            valid_from__lte=today,
            valid_to__gte=today,
        )
        .order_by("-valid_from")
        .values_list("content_hash", flat=True)
        .first()
    )
    digest = listing_hash(product.content_hash, sku, is_listed, price)
    if listing is not None and bytes(listing.content_hash) == digest:
        return 0
    Listing.objects.update_or_create(
        channel_id=config.partner_id,
        product=product,
        defaults={
            "channel_sku": sku,
            "is_listed": is_listed,
            "content_hash": digest,
            "publish_state": PublishState.PENDING,
            "changed_at": now,
        },
    )
    return 1


def _in_area(product: Product, config: ChannelConfig) -> bool:
    return not product.is_deleted and any(
        area["VKORG"] == config.sales_org
        and area["VTWEG"] == config.distribution_channel
        and not area["LVORM"]
        for area in product.sales_areas
    )


def derive_all(channel_id: int | None = None) -> int:
    """Derive every product's listings again (after a channel's sales area or mappings change)."""
    if connection.vendor != "postgresql":
        return derive_orm(list(Product.objects.values_list("pk", flat=True)))
    with connection.cursor() as cursor:
        return derive_postgresql(cursor, "SELECT id FROM catalog_product")
