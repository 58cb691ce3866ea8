"""Writing a chunk of MATMAS05 materials: only the rows whose content hash changed.

PostgreSQL: the chunk is copied (``COPY ... FROM STDIN``, CSV built in memory)
into TEMP staging tables, then one ``INSERT ... ON CONFLICT ... DO UPDATE ...
WHERE content_hash differs`` writes the products that are new or changed,
and their units and barcodes are replaced from staging, all set-based; the
listings of exactly those products are derived afterwards (``listings``).
Python only formats one CSV line per material and unit: the hash comes from
the reader and is compared in SQL. SQLite (the embedded default) takes the
same decisions through the ORM.

The caller runs this inside the chunk's database transaction.
"""

import csv
import io
import json

from django.db import connection
from django.utils import timezone

from connectors.idoc.errors import IdocError
from connectors.idoc.matmas05 import read_materials

from ..models import Barcode, Product, ProductUnit
from ..units import known_units
from . import listings, unchanged
from .chunks import ChunkCounts, ReadChunk, read_planned_chunk, refuse
from .files import ChunkPlace

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS catalog_stage_product (
    position integer, number varchar(40), material_type varchar(4), material_group varchar(9),
    base_unit varchar(3), is_deleted boolean, descriptions jsonb, sales_areas jsonb,
    plants jsonb, content_hash bytea, raw_hash bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS catalog_stage_unit (
    position integer, number varchar(40), unit varchar(3), numerator integer,
    denominator integer, main_ean varchar(18), eans varchar(18)[]
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS catalog_changed (
    id bigint, number varchar(40), position integer, inserted boolean, is_deleted boolean
) ON COMMIT DELETE ROWS;
-- Emptied at each commit; emptied here too for a load run inside an outer transaction.
TRUNCATE catalog_stage_product, catalog_stage_unit, catalog_changed;
"""

_UPSERT = """
WITH staged AS (
    SELECT DISTINCT ON (number) * FROM catalog_stage_product ORDER BY number, position DESC
), written AS (
    INSERT INTO catalog_product AS p (
        number, material_type, material_group, base_unit, is_deleted, descriptions,
        sales_areas, plants, content_hash, raw_hash, last_load_id, created_at, changed_at
    )
    SELECT number, material_type, material_group, base_unit, is_deleted, descriptions,
           sales_areas, plants, content_hash, raw_hash, %(load)s, %(now)s, %(now)s
    FROM staged
    ON CONFLICT (number) DO UPDATE SET
        material_type = EXCLUDED.material_type, material_group = EXCLUDED.material_group,
        base_unit = EXCLUDED.base_unit, is_deleted = EXCLUDED.is_deleted,
        descriptions = EXCLUDED.descriptions, sales_areas = EXCLUDED.sales_areas,
        plants = EXCLUDED.plants, content_hash = EXCLUDED.content_hash,
        raw_hash = EXCLUDED.raw_hash, last_load_id = EXCLUDED.last_load_id,
        changed_at = EXCLUDED.changed_at
    WHERE p.content_hash <> EXCLUDED.content_hash
    RETURNING p.id, p.number, (p.xmax = 0) AS inserted, p.is_deleted
)
INSERT INTO catalog_changed (id, number, position, inserted, is_deleted)
SELECT w.id, w.number, s.position, w.inserted, w.is_deleted
FROM written w JOIN staged s USING (number)
"""

# An unchanged material read from other bytes (fields the catalog does not keep, the
# context of the digest) keeps its content and takes the new digest, so the next
# load need not read it again. Not counted as changed; its listings are not derived.
_CONFIRM_RAW_HASHES = """
UPDATE catalog_product p SET raw_hash = s.raw_hash
FROM (SELECT DISTINCT ON (number) number, content_hash, raw_hash
      FROM catalog_stage_product ORDER BY number, position DESC) s
WHERE p.number = s.number AND p.content_hash = s.content_hash
  AND p.raw_hash IS DISTINCT FROM s.raw_hash
"""

# Only when the chunk changed products that were there before: in a first load none
# were, and these two statements still cost a hash join over the whole barcode and
# unit tables per chunk (9 of 30 s of PostgreSQL at 100,000 materials).
_DELETE_UNITS = """
DELETE FROM catalog_barcode b USING catalog_productunit u, catalog_changed c
WHERE b.unit_id = u.id AND u.product_id = c.id AND NOT c.inserted;
DELETE FROM catalog_productunit u USING catalog_changed c
WHERE u.product_id = c.id AND NOT c.inserted;
"""

_INSERT_UNITS = """
WITH units AS (
    INSERT INTO catalog_productunit (product_id, unit, numerator, denominator, main_ean)
    SELECT DISTINCT ON (c.id, s.unit) c.id, s.unit, s.numerator, s.denominator, s.main_ean
    FROM catalog_changed c
    JOIN catalog_stage_unit s ON s.number = c.number AND s.position = c.position
    ORDER BY c.id, s.unit
    RETURNING id, product_id, unit, main_ean
)
INSERT INTO catalog_barcode (unit_id, ean, is_main)
SELECT DISTINCT u.id, e.ean, e.ean = u.main_ean
FROM units u
JOIN catalog_changed c ON c.id = u.product_id
JOIN catalog_stage_unit s ON s.number = c.number AND s.position = c.position AND s.unit = u.unit
CROSS JOIN LATERAL unnest(s.eans || s.main_ean) AS e(ean)
WHERE e.ean <> '';
"""

_COUNTS = """
SELECT count(*) FILTER (WHERE inserted AND NOT is_deleted),
       count(*) FILTER (WHERE NOT inserted AND NOT is_deleted),
       count(*) FILTER (WHERE is_deleted),
       count(*) FILTER (WHERE NOT inserted)
FROM catalog_changed
"""


def read_material_chunk(load, index: int) -> tuple[ReadChunk, ChunkPlace, frozenset[str]]:
    """Chunk ``index`` read, unchanged materials elided (``unchanged``); and the known units."""
    units = known_units()
    digests, holes = unchanged.fingerprint_chunk(load, index, units)
    chunk = None
    if holes:
        try:
            chunk, place = read_planned_chunk(load, index, read_materials, holes)
        except IdocError:
            chunk = None  # read again in full below: its error is the file's to report
        if chunk is not None and _elided_number_read(chunk, holes):
            chunk = None
    if chunk is None:
        chunk, place = read_planned_chunk(load, index, read_materials)
    else:
        chunk.holes = holes
    chunk.digests = digests
    return chunk, place, units


def is_material_chunk_current(chunk: ReadChunk, units: frozenset[str]) -> bool:
    """Whether a chunk read ahead, before the chunk before it committed, still reads the same.

    The reading depends on the catalog only through the known units and the
    stored digests of the materials it elided; a material read in full reads
    the same whatever is stored.
    """
    if known_units() != units:
        return False
    if not chunk.holes:
        return True
    stored = unchanged.stored_digests([hole.key for hole in chunk.holes])
    return all(stored.get(hole.key) == hole.digest for hole in chunk.holes)


def _elided_number_read(chunk: ReadChunk, holes) -> bool:
    """Whether a material read in full has the number of an elided one (last must win)."""
    elided = {hole.key for hole in holes}
    return any(m.number in elided for m in chunk.records) or any(
        row.key in elided for row in chunk.refused
    )


def write_materials(load, chunk: ReadChunk, place: ChunkPlace, units) -> tuple[ChunkCounts, list]:
    """Write a chunk's materials; returns its counts and every refused row (reader's and ours).

    Elided IDocs (unchanged materials) count as read and unchanged.
    """
    accepted, refused = _with_known_units(chunk, place, units)
    counts = ChunkCounts(read=chunk.read, refused=len(refused), unchanged=len(chunk.elided))
    distinct = len({m.number for m in accepted})
    if accepted:
        writer = _write_postgresql if connection.vendor == "postgresql" else _write_orm
        added, changed, deleted, listings_changed = writer(load, accepted, chunk.digests)
        counts.added, counts.changed, counts.deleted = added, changed, deleted
        counts.unchanged += distinct - added - changed - deleted
        counts.listings_changed = listings_changed
    return counts, refused


def _with_known_units(chunk: ReadChunk, place: ChunkPlace, units):
    accepted, refused = [], list(chunk.refused)
    for material in chunk.records:
        problem = _unknown_unit(material, units)
        if problem:
            refused.append(refuse(material, *problem, place))
        else:
            accepted.append(material)
    return accepted, refused


def _unknown_unit(material, units) -> tuple[str, str, str] | None:
    if material.base_unit not in units:
        return "E1MARAM", "MEINS", _unknown(material.base_unit)
    for unit in material.units:
        if unit.unit not in units:
            return "E1MARMM", "MEINH", _unknown(unit.unit)
    return None


def _unknown(unit: str) -> str:
    return f"unit {unit!r} is not a known unit (an SAP unit code or a unit code mapping)"


def _area(area) -> dict:
    """A sales area as stored, under SAP's field names (E1MVKEM)."""
    return {
        "VKORG": area.sales_org,
        "VTWEG": area.distribution_channel,
        "LVORM": area.deleted,
        "VMSTA": area.status,
    }


def _plant(plant) -> dict:
    return {"WERKS": plant.plant, "LVORM": plant.deleted}


# --- PostgreSQL ---------------------------------------------------------------
def _write_postgresql(load, materials, digests) -> tuple[int, int, int, int]:
    products, units = io.StringIO(), io.StringIO()
    product_rows, unit_rows = csv.writer(products), csv.writer(units)
    dumps = json.dumps
    for m in materials:
        product_rows.writerow(
            (
                m.position,
                m.number,
                m.material_type,
                m.material_group,
                m.base_unit,
                m.deleted,
                dumps({d.language: d.text for d in m.descriptions}),
                dumps([_area(a) for a in m.sales_areas]),
                dumps([_plant(p) for p in m.plants]),
                "\\x" + m.content_hash().hex(),
                "\\x" + digests[m.position].hex() if m.position in digests else None,
            )
        )
        for u in m.units:
            unit_rows.writerow(
                (
                    m.position,
                    m.number,
                    u.unit,
                    u.numerator,
                    u.denominator,
                    u.main_ean,
                    "{" + ",".join(u.eans) + "}",
                )
            )
    with connection.cursor() as cursor:
        cursor.execute(_STAGING)
        products.seek(0)
        units.seek(0)
        cursor.copy_expert("COPY catalog_stage_product FROM STDIN WITH (FORMAT csv)", products)
        cursor.copy_expert("COPY catalog_stage_unit FROM STDIN WITH (FORMAT csv)", units)
        cursor.execute(_UPSERT, {"load": load.pk, "now": timezone.now()})
        cursor.execute(_CONFIRM_RAW_HASHES)
        cursor.execute(_COUNTS)
        added, changed, deleted, replaced = cursor.fetchone()
        if replaced:
            cursor.execute(_DELETE_UNITS)
        cursor.execute(_INSERT_UNITS)
        listings_changed = listings.derive_postgresql(cursor, "SELECT id FROM catalog_changed")
    return added, changed, deleted, listings_changed


# --- SQLite (embedded default): the same decisions through the ORM -------------
def _write_orm(load, materials, digests) -> tuple[int, int, int, int]:
    latest = {m.number: m for m in materials}  # the last occurrence in the chunk wins
    stored = {
        p.number: p
        for p in Product.objects.filter(number__in=list(latest)).only(
            "id", "number", "content_hash", "raw_hash"
        )
    }
    added = changed = deleted = 0
    touched: list[tuple[Product, object]] = []
    for number, material in latest.items():
        digest = material.content_hash()
        raw_hash = digests.get(material.position)
        product = stored.get(number)
        if product is not None and bytes(product.content_hash) == digest:
            if (bytes(product.raw_hash) if product.raw_hash else None) != raw_hash:
                Product.objects.filter(pk=product.pk).update(raw_hash=raw_hash)
            continue
        is_new = product is None
        product = product or Product(number=number)
        _fill(product, material, digest, load)
        product.raw_hash = raw_hash
        product.save()
        if material.deleted:
            deleted += 1
        elif is_new:
            added += 1
        else:
            changed += 1
        touched.append((product, material))
    for product, material in touched:
        _replace_units(product, material)
    listings_changed = listings.derive_orm([product.pk for product, _ in touched])
    return added, changed, deleted, listings_changed


def _fill(product: Product, material, digest: bytes, load) -> None:
    product.material_type = material.material_type
    product.material_group = material.material_group
    product.base_unit = material.base_unit
    product.is_deleted = material.deleted
    product.descriptions = {d.language: d.text for d in material.descriptions}
    product.sales_areas = [_area(a) for a in material.sales_areas]
    product.plants = [_plant(p) for p in material.plants]
    product.content_hash = digest
    product.last_load = load


def _replace_units(product: Product, material) -> None:
    Barcode.objects.filter(unit__product=product).delete()
    ProductUnit.objects.filter(product=product).delete()
    seen: set[str] = set()
    for u in material.units:
        if u.unit in seen:
            continue
        seen.add(u.unit)
        unit = ProductUnit.objects.create(
            product=product,
            unit=u.unit,
            numerator=u.numerator,
            denominator=u.denominator,
            main_ean=u.main_ean,
        )
        eans = dict.fromkeys([*u.eans, u.main_ean])
        Barcode.objects.bulk_create(
            [Barcode(unit=unit, ean=ean, is_main=ean == u.main_ean) for ean in eans if ean]
        )
