"""Mapping use cases: translate an order's codes for the ERP; bulk import and export."""

import datetime
import threading
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from syncplatform.core.errors import NeedsPerson
from syncplatform.partners.models import Partner

from .models import CodeMapping, CustomerMapping, LocationMapping, MappingStamp, SkuMapping

READ_NOW = object()
"""A mapping stamp not given: the cache reads it itself."""


class MissingMappings(NeedsPerson):
    """Raised when a document cannot be translated; ``missing`` names every gap.

    Each entry reads like ``sku TSHIRT-BLK-M`` or ``code tax TX-FOOD`` so an
    operator knows exactly which row to add in the admin.
    """

    code = "mapping_missing"

    def __init__(self, channel: Partner, missing: list[str]):
        self.channel = channel
        self.missing = missing
        super().__init__(f"missing mappings for channel {channel.code}: {', '.join(missing)}")


@dataclass(frozen=True)
class ErpMaterial:
    material: str
    unit: str


@dataclass(frozen=True)
class ErpLocation:
    plant: str
    storage_location: str
    warehouse_id: int | None


@dataclass
class OrderMappings:
    """The ERP side of one order's channel codes."""

    materials: dict[str, ErpMaterial] = field(default_factory=dict)
    location: ErpLocation | None = None
    sold_to: str = ""
    codes: dict[tuple[str, str], str] = field(default_factory=dict)

    def code(self, code_type: str, channel_code: str) -> str:
        return self.codes[(code_type, channel_code)]


def resolve_order_mappings(
    channel: Partner,
    *,
    skus: set[str],
    location: str,
    customer_id: str,
    codes: set[tuple[str, str]],
    default_sold_to: str = "",
    on: datetime.date | None = None,
    stamp: object = READ_NOW,
) -> OrderMappings:
    """Translate every code an order needs, from the process's cache or in one round trip.

    Codes this process looked up before (found or not) come from memory while
    the mapping stamp is unchanged (``MappingCache``); the others are read in
    one UNION ALL of the four tables. ``stamp`` is the stamp a caller read
    with its own rows (``stamp_expression``), a round trip less; by default
    it is read here. Raises ``MissingMappings`` listing all gaps at once, so
    one fix round suffices.
    """
    on = on or timezone.localdate()
    wanted = [("location", location), ("customer", customer_id)]
    wanted += [("sku", sku) for sku in skus]
    wanted += [("code", f"{code_type}:{code}") for code_type, code in codes]
    rows = _mapping_cache.rows(channel.pk, wanted, on, stamp)
    found = OrderMappings()
    for (table, key), row in rows.items():
        if row is None:
            continue
        first, second, warehouse_id = row
        if table == "sku":
            found.materials[key] = ErpMaterial(first, second)
        elif table == "location":
            found.location = ErpLocation(first, second, warehouse_id)
        elif table == "customer":
            found.sold_to = first
        else:
            code_type, _, channel_code = key.partition(":")
            found.codes[(code_type, channel_code)] = first
    found.sold_to = found.sold_to or default_sold_to

    missing = [f"sku {sku}" for sku in sorted(skus - found.materials.keys())]
    if found.location is None:
        missing.append(f"location {location}")
    if not found.sold_to:
        missing.append(f"customer {customer_id}")
    missing += [f"code {kind} {code}" for kind, code in sorted(codes - found.codes.keys())]
    if missing:
        raise MissingMappings(channel, missing)
    return found


Row = tuple[str, str, int | None]  # (first value, second value, warehouse id)


class MappingCache:
    """Mapping rows this process has read, valid while the mapping stamp is unchanged.

    Every order posting needs the same few dozen SKUs, locations and codes;
    reading them from memory saves a UNION of four tables per order. Holds
    ``(channel, table, key) -> row`` (``None``: no mapping in force), for one
    stamp and one day (validity is by date). The stamp (``MappingStamp``)
    is read with one primary-key query per use, or by the caller with its own
    rows (``stamp_expression``: the order posting reads it with the order);
    any mapping change, by anyone, writes a new stamp in its own database
    transaction, so the first use after its commit starts afresh. Never a
    timer. Rows are read after the stamp, so what is kept is never older than
    the stamp it is kept under.
    Threads share the cache; a use keeps the holder it started with, so a
    thread still filling an outdated one cannot put old rows in the new one.
    """

    MAX_ROWS = 50_000  # a bound on memory; past it the cache starts afresh

    def __init__(self):
        self._holder: tuple[object, datetime.date, dict] = (object(), datetime.date.min, {})
        self._lock = threading.Lock()

    def rows(
        self,
        channel_id: int,
        wanted: list[tuple[str, str]],
        on: datetime.date,
        stamp: object = READ_NOW,
    ) -> dict:
        """``(table, key) -> row or None`` for each wanted key of the channel, on day ``on``."""
        if stamp is READ_NOW:
            stamp = current_stamp()
        with self._lock:
            held_stamp, held_day, held = self._holder
            if held_stamp != stamp or held_day != on or len(held) > self.MAX_ROWS:
                held = {}
                self._holder = (stamp, on, held)
        missing = [key for key in wanted if (channel_id, *key) not in held]
        if missing:
            read = {key: None for key in missing}
            for table, key, first, second, warehouse_id in _mapping_rows(channel_id, missing, on):
                read[(table, key)] = (first, second, warehouse_id)
            for key, row in read.items():
                held[(channel_id, *key)] = row
        return {key: held[(channel_id, *key)] for key in wanted}

    def clear(self) -> None:
        with self._lock:
            self._holder = (object(), datetime.date.min, {})


_mapping_cache = MappingCache()


def stamp_expression() -> Subquery:
    """The mapping stamp as a column of another query: ``.annotate(mapping_stamp=...)``.

    Read in the same statement as the caller's rows, and so not after the
    mapping rows the cache reads later.
    """
    return Subquery(MappingStamp.objects.filter(pk=1).values("stamp")[:1])


def current_stamp() -> str | None:
    """The mapping stamp now (None until the first mapping change)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stamp FROM {MappingStamp._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


def _mapping_rows(channel_id: int, wanted: list[tuple[str, str]], on: datetime.date):
    """Rows ``(table, key, first value, second value, warehouse id)`` for ``wanted`` keys.

    Hand-written SQL on purpose: the same UNION through the ORM took ~4 ms to
    compile per order (measured, bench/erp_posting.py), eight times its run
    time. Plain SQL that PostgreSQL and SQLite both accept.
    """
    keys: dict[str, list[str]] = {}
    for table, key in wanted:
        keys.setdefault(table, []).append(key)
    parts = []
    if "location" in keys:
        parts.append(
            _select(
                LocationMapping,
                "'location', channel_location, erp_plant, erp_storage_location, warehouse_id",
                _in("channel_location", keys["location"]),
                keys["location"],
            )
        )
    if "customer" in keys:
        parts.append(
            _select(
                CustomerMapping,
                "'customer', channel_customer_id, erp_sold_to, '', NULL",
                _in("channel_customer_id", keys["customer"]),
                keys["customer"],
            )
        )
    if "sku" in keys:
        skus = sorted(keys["sku"])
        parts.append(
            _select(
                SkuMapping,
                "'sku', channel_sku, erp_material, erp_unit, NULL",
                _in("channel_sku", skus),
                skus,
            )
        )
    if "code" in keys:
        channel_codes = sorted({key.partition(":")[2] for key in keys["code"]})
        parts.append(
            _select(
                CodeMapping,
                "'code', code_type || ':' || channel_code, erp_code, '', NULL",
                _in("channel_code", channel_codes),
                channel_codes,
            )
        )
    if not parts:
        return []
    parts = [(sql, [channel_id, *values, on, on]) for sql, values in parts]
    sql = " UNION ALL ".join(part for part, _ in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _, values in parts for value in values])
        return cursor.fetchall()


def _select(model, columns: str, condition: str, values: list) -> tuple[str, list]:
    """One in-force SELECT of a mapping table; names are ours, values stay parameters.

    The validity condition is ``MappingQuerySet.in_force`` written out; keep them alike.
    """
    sql = (
        f"SELECT {columns} FROM {model._meta.db_table} "  # noqa: S608 - no user text in SQL
        f"WHERE channel_id = %s AND {condition} AND is_active "
        "AND (valid_from IS NULL OR valid_from <= %s) AND (valid_to IS NULL OR valid_to >= %s)"
    )
    return sql, values


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def materials_of_skus(channel_id: int, skus: list[str]) -> dict[str, str]:
    """The ERP material of each of a channel's SKUs that has a mapping (SKU -> material)."""
    return dict(
        SkuMapping.objects.filter(channel_id=channel_id, channel_sku__in=skus).values_list(
            "channel_sku", "erp_material"
        )
    )


def channel_skus_of_materials(materials: set[str]) -> dict[str, list[str]]:
    """Every channel SKU mapped to each material, as ``channel code:SKU`` (material -> SKUs)."""
    skus: dict[str, list[str]] = {}
    mapped = SkuMapping.objects.filter(erp_material__in=materials).values_list(
        "erp_material", "channel__code", "channel_sku"
    )
    for material, channel_code, sku in mapped:
        skus.setdefault(material, []).append(f"{channel_code}:{sku}")
    return skus
