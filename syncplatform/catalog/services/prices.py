"""Writing a chunk of COND_A04 prices: only the condition records whose content hash changed.

The same shape as ``materials``: COPY into a TEMP staging table and one
set-based upsert on PostgreSQL, the ORM on SQLite; then the listings of the
materials whose prices were written are derived again (the price in force is
part of what a channel shows). A deleted condition (LOEVM_KO) stays, flagged.
"""

import csv
import io

from django.db import connection

from connectors.idoc.cond_a04 import read_prices

from ..models import Price, Product
from . import listings
from .chunks import ChunkCounts, ReadChunk, read_planned_chunk
from .files import ChunkPlace

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS catalog_stage_price (
    seq integer, condition_type varchar(4), sales_org varchar(4),
    distribution_channel varchar(2), material varchar(40), amount numeric(15, 4),
    currency varchar(5), per integer, unit varchar(3), valid_from date, valid_to date,
    is_deleted boolean, content_hash bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS catalog_changed_price (
    material varchar(40), inserted boolean, is_deleted boolean
) ON COMMIT DELETE ROWS;
TRUNCATE catalog_stage_price, catalog_changed_price;
"""

_UPSERT = """
WITH staged AS (
    SELECT DISTINCT ON (condition_type, sales_org, distribution_channel, material, valid_from) *
    FROM catalog_stage_price
    ORDER BY condition_type, sales_org, distribution_channel, material, valid_from, seq DESC
), written AS (
    INSERT INTO catalog_price AS p (
        condition_type, sales_org, distribution_channel, material, amount, currency, per,
        unit, valid_from, valid_to, is_deleted, content_hash, last_load_id, changed_at
    )
    SELECT condition_type, sales_org, distribution_channel, material, amount, currency, per,
           unit, valid_from, valid_to, is_deleted, content_hash, %(load)s, now()
    FROM staged
    ON CONFLICT (condition_type, sales_org, distribution_channel, material, valid_from)
    DO UPDATE SET
        amount = EXCLUDED.amount, currency = EXCLUDED.currency, per = EXCLUDED.per,
        unit = EXCLUDED.unit, valid_to = EXCLUDED.valid_to, is_deleted = EXCLUDED.is_deleted,
        content_hash = EXCLUDED.content_hash, last_load_id = EXCLUDED.last_load_id,
        changed_at = EXCLUDED.changed_at
    WHERE p.content_hash <> EXCLUDED.content_hash
    RETURNING p.material, (p.xmax = 0) AS inserted, p.is_deleted
)
INSERT INTO catalog_changed_price SELECT * FROM written
"""

_COUNTS = """
SELECT count(*) FILTER (WHERE inserted AND NOT is_deleted),
       count(*) FILTER (WHERE NOT inserted AND NOT is_deleted),
       count(*) FILTER (WHERE is_deleted)
FROM catalog_changed_price
"""

_KEY = ("condition_type", "sales_org", "distribution_channel", "material", "valid_from")


def read_price_chunk(load, index: int) -> tuple[ReadChunk, ChunkPlace, None]:
    """Chunk ``index`` of a COND_A04 file, read in full."""
    chunk, place = read_planned_chunk(load, index, read_prices)
    return chunk, place, None


def write_prices(load, chunk: ReadChunk, place, _context=None) -> tuple[ChunkCounts, list]:
    """Write a chunk's prices; returns its counts and the reader's refused rows."""
    prices = chunk.records
    counts = ChunkCounts(read=chunk.read, refused=len(chunk.refused))
    if prices:
        distinct = len({tuple(getattr(p, k) for k in _KEY) for p in prices})
        writer = _write_postgresql if connection.vendor == "postgresql" else _write_orm
        counts.added, counts.changed, counts.deleted, counts.listings_changed = writer(load, prices)
        counts.unchanged = distinct - counts.added - counts.changed - counts.deleted
    return counts, list(chunk.refused)


def _write_postgresql(load, prices) -> tuple[int, int, int, int]:
    buffer = io.StringIO()
    rows = csv.writer(buffer)
    for seq, p in enumerate(prices):
        rows.writerow(
            (
                seq,
                p.condition_type,
                p.sales_org,
                p.distribution_channel,
                p.material,
                p.amount,
                p.currency,
                p.per,
                p.unit,
                p.valid_from,
                p.valid_to,
                p.deleted,
                "\\x" + p.content_hash().hex(),
            )
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(_STAGING)
        cursor.copy_expert("COPY catalog_stage_price FROM STDIN WITH (FORMAT csv)", buffer)
        cursor.execute(_UPSERT, {"load": load.pk})
        cursor.execute(_COUNTS)
        added, changed, deleted = cursor.fetchone()
        listings_changed = listings.derive_postgresql(
            cursor,
            "SELECT id FROM catalog_product WHERE number IN "
            "(SELECT material FROM catalog_changed_price)",
        )
    return added, changed, deleted, listings_changed


def _write_orm(load, prices) -> tuple[int, int, int, int]:
    latest = {tuple(getattr(p, k) for k in _KEY): p for p in prices}
    added = changed = deleted = 0
    materials: set[str] = set()
    for key, price in latest.items():
        digest = price.content_hash()
        stored = Price.objects.filter(**dict(zip(_KEY, key, strict=True))).first()
        if stored is not None and bytes(stored.content_hash) == digest:
            continue
        values = {
            "amount": price.amount,
            "currency": price.currency,
            "per": price.per,
            "unit": price.unit,
            "valid_to": price.valid_to,
            "is_deleted": price.deleted,
            "content_hash": digest,
            "last_load": load,
        }
        Price.objects.update_or_create(**dict(zip(_KEY, key, strict=True)), defaults=values)
        if price.deleted:
            deleted += 1
        elif stored is None:
            added += 1
        else:
            changed += 1
        materials.add(price.material)
    product_ids = list(Product.objects.filter(number__in=materials).values_list("pk", flat=True))
    return added, changed, deleted, listings.derive_orm(product_ids)
