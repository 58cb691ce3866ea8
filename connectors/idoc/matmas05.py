"""MATMAS05, message type MATMAS: the ERP's material master, read as a stream.

One IDoc per material. The segments read (SAP's names; all others, such as
E1MARA1, E1MBEWM, E1MLGNM, E1MLANM or customer Z1 segments, are skipped):

* ``E1MARAM`` general data (mandatory): MATNR material number (kept as sent,
  leading zeros included), LVORM deletion flag (``X``), MTART material type,
  MATKL material group, MEINS base unit (mandatory), EAN11 main EAN.
* ``E1MAKTM`` descriptions: SPRAS_ISO (or the one-letter SPRAS) and MAKTX.
* ``E1MARMM`` units: MEINH unit, UMREZ/UMREN numerator/denominator for
  converting to the base unit (whole numbers), EAN11 main EAN of the unit;
  its ``E1MEANM`` children list every EAN (EAN11, EANTP, HPEAN ``X`` main).
* ``E1MVKEM`` sales data per VKORG sales organisation and VTWEG distribution
  channel: LVORM deletion flag, VMSTA distribution-chain status and VMSTD
  the date it applies from. These decide where a material is listed.
* ``E1MARCM`` plant data: WERKS, LVORM, MMSTA plant-specific status.

``read_materials(source)`` yields, in file order, one ``Material`` per IDoc
or a ``RefusedRow`` when the material cannot be accepted: a mandatory field
empty (``MATNR is empty``), an EAN with a wrong check digit or not a GTIN
(``EAN11 4006381333932: check digit should be 1``), a conversion factor that
is not a positive whole number, a date that does not parse. Whether a unit
is one the platform knows is the catalog's question (its unit mappings),
not this reader's. A file that is not well-formed XML, declares a DOCTYPE or
is not a MATMAS05 package raises ``IdocError`` as the package reader does.

Deletion: SAP flags a material for deletion (LVORM) rather than sending it
no more; ``deleted`` says so for the material, a sales area or a plant.

``Material.content_hash()`` digests everything but ``position`` and
``docnum``: the same material in a later file hashes the same, so a load
writes only what changed.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from hashlib import blake2b
from typing import BinaryIO

from connectors.errors import ConfigError
from connectors.idoc.chunks import FileChunk
from connectors.idoc.control import ControlRecord
from connectors.idoc.errors import RefusedRow
from connectors.idoc.fingerprints import ElidedIdoc
from connectors.idoc.package import Source
from connectors.idoc.records import (
    CATALOG_MAX_BYTES,
    Element,
    Fields,
    Refusal,
    day,
    gtin,
    iter_records,
    required,
    text,
)
from connectors.idoc.segments import Idoc, Segment, build_segment, building
from connectors.idoc.writing import write_idocs

IDOC_TYPE = "MATMAS05"
MESSAGE_TYPE = "MATMAS"
DELETION_FLAG = "X"
CHANGE = "005"  # MSGFN: SAP's "replace" for a master-data segment


@dataclass(frozen=True, slots=True)
class MaterialDescription:
    language: str  # SPRAS_ISO (EN), else SAP's one-letter SPRAS (E)
    text: str  # MAKTX


@dataclass(frozen=True, slots=True)
class MaterialUnit:
    """A unit of measure; ``numerator / denominator`` base units make one of it."""

    unit: str  # MEINH
    numerator: int  # UMREZ
    denominator: int  # UMREN
    eans: tuple[str, ...] = ()  # every E1MEANM EAN11, in file order
    main_ean: str = ""  # E1MARMM EAN11, else the E1MEANM marked HPEAN


@dataclass(frozen=True, slots=True)
class SalesArea:
    sales_org: str  # VKORG
    distribution_channel: str  # VTWEG
    deleted: bool = False  # LVORM
    status: str = ""  # VMSTA, distribution-chain-specific material status
    status_from: date | None = None  # VMSTD


@dataclass(frozen=True, slots=True)
class PlantData:
    plant: str  # WERKS
    deleted: bool = False  # LVORM
    status: str = ""  # MMSTA


@dataclass(frozen=True, slots=True)
class Material:
    position: int  # 1-based IDoc in the file
    docnum: str  # EDI_DC40 DOCNUM
    number: str  # MATNR, as sent
    deleted: bool = False  # E1MARAM LVORM
    material_type: str = ""  # MTART
    material_group: str = ""  # MATKL
    base_unit: str = ""  # MEINS
    descriptions: tuple[MaterialDescription, ...] = ()
    units: tuple[MaterialUnit, ...] = ()
    sales_areas: tuple[SalesArea, ...] = ()
    plants: tuple[PlantData, ...] = ()

    def content_hash(self) -> bytes:
        """16 bytes that change when anything but ``position``/``docnum`` changes."""
        parts = [
            self.number,
            "X" if self.deleted else "",
            self.material_type,
            self.material_group,
            self.base_unit,
            "\x1d",
        ]
        for description in self.descriptions:
            parts += (description.language, description.text, "\x1e")
        parts.append("\x1d")
        for unit in self.units:
            parts += (
                unit.unit,
                str(unit.numerator),
                str(unit.denominator),
                "\x1c".join(unit.eans),
                unit.main_ean,
                "\x1e",
            )
        parts.append("\x1d")
        for area in self.sales_areas:
            parts += (
                area.sales_org,
                area.distribution_channel,
                "X" if area.deleted else "",
                area.status,
                area.status_from.isoformat() if area.status_from else "",
                "\x1e",
            )
        parts.append("\x1d")
        for plant in self.plants:
            parts += (plant.plant, "X" if plant.deleted else "", plant.status, "\x1e")
        return blake2b("\x1f".join(parts).encode(), digest_size=16).digest()


def read_materials(
    source: Source,
    *,
    max_bytes: int = CATALOG_MAX_BYTES,
    chunk: FileChunk | None = None,
    elided: Container[int] = (),
) -> Iterator[Material | RefusedRow | ElidedIdoc]:
    """Each material of a MATMAS05 file, in order, streamed: a ``Material`` or a ``RefusedRow``.

    ``source`` is a binary file object, a path or bytes. Reading the same
    bytes again gives the same results; nothing is kept between calls. With
    ``chunk`` (``chunks.plan_chunks(path)``) only that part of the file at
    path ``source`` is read, with the positions and lines of the whole file.

    ``elided``: positions whose data segments the caller left out of the
    stream (``fingerprints``); each is an ``ElidedIdoc`` once its control
    record is read. An elided position that still has data segments is read
    as any other.
    """
    convert = _material
    if elided:

        def convert(idoc: Element, position: int, docnum: str):
            if position in elided and len(idoc) == 1:
                return (ElidedIdoc(position, docnum),)
            return _material(idoc, position, docnum)

    return iter_records(source, IDOC_TYPE, convert, max_bytes=max_bytes, chunk=chunk)


# The fields each segment's converter reads. Children are walked with lxml's
# tag filter (``iterchildren(*names)``), so libxml2 skips every other field in
# C and Python sees only these: a generated material has ~150 elements, of
# which ~50 are read; walking them all in Python cost ~40 % of the reader.
_MARAM = ("MATNR", "LVORM", "MTART", "MATKL", "MEINS", "EAN11")
_MARAM_CHILDREN = (*_MARAM, "E1MAKTM", "E1MARMM", "E1MVKEM", "E1MARCM")
_MAKTM = ("SPRAS_ISO", "SPRAS", "MAKTX")
_MARMM = ("MEINH", "UMREZ", "UMREN", "EAN11", "E1MEANM")
_MEANM = ("EAN11", "HPEAN")
_MVKEM = ("VKORG", "VTWEG", "LVORM", "VMSTA", "VMSTD")
_MARCM = ("WERKS", "LVORM", "MMSTA")


def _material(idoc: Element, position: int, docnum: str) -> Iterable[Material | RefusedRow]:
    maram = next(idoc.iterchildren("E1MARAM"), None)
    if maram is None:
        raise Refusal("E1MARAM", "", "the IDoc has no E1MARAM segment", idoc.sourceline)
    fields: Fields = {}
    descriptions, units, sales_areas, plants = [], [], [], []
    segments = {"E1MAKTM": descriptions, "E1MARMM": units, "E1MVKEM": sales_areas,
                "E1MARCM": plants}  # fmt: skip
    segment_list = segments.get
    for child in maram.iterchildren(*_MARAM_CHILDREN):
        found = segment_list(child.tag)
        if found is None:
            fields[child.tag] = child.text
        else:
            found.append(child)
    number = text(fields, "MATNR")
    try:
        if not number:
            raise Refusal("E1MARAM", "MATNR", "MATNR is empty", maram.sourceline)
        gtin(fields, "EAN11", maram)
        material = Material(
            position,
            docnum,
            number,
            text(fields, "LVORM") == DELETION_FLAG,
            text(fields, "MTART"),
            text(fields, "MATKL"),
            required(fields, "MEINS", maram),
            tuple(map(_description, descriptions)),
            tuple(map(_unit, units)),
            tuple(map(_sales_area, sales_areas)),
            tuple(map(_plant, plants)),
        )
    except Refusal as refusal:
        refusal.key = number
        raise
    return (material,)


def _fields(segment: Element, names: tuple[str, ...]) -> Fields:
    return {child.tag: child.text for child in segment.iterchildren(*names)}


def _description(segment: Element) -> MaterialDescription:
    fields = _fields(segment, _MAKTM)
    language = text(fields, "SPRAS_ISO") or text(fields, "SPRAS")
    if not language:
        raise Refusal("E1MAKTM", "SPRAS", "SPRAS is empty", segment.sourceline)
    return MaterialDescription(language, text(fields, "MAKTX"))


def _unit(segment: Element) -> MaterialUnit:
    fields: Fields = {}
    ean_segments = []
    for child in segment.iterchildren(*_MARMM):
        if child.tag == "E1MEANM":
            ean_segments.append(child)
        else:
            fields[child.tag] = child.text
    unit = required(fields, "MEINH", segment)
    numerator = _factor(fields, "UMREZ", segment)
    denominator = _factor(fields, "UMREN", segment)
    main = gtin(fields, "EAN11", segment)
    eans = []
    for ean_segment in ean_segments:
        ean_fields = _fields(ean_segment, _MEANM)
        ean = gtin(ean_fields, "EAN11", ean_segment)
        if ean:
            eans.append(ean)
            if not main and text(ean_fields, "HPEAN") == "X":
                main = ean
    if main and not eans:
        eans.append(main)
    return MaterialUnit(unit, numerator, denominator, tuple(eans), main)


def _factor(fields: Fields, name: str, segment: Element) -> int:
    value = required(fields, name, segment)
    if value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    reason = f"{name} {value!r} is not a positive whole number"
    raise Refusal(segment.tag, name, reason, segment.sourceline)


def _sales_area(segment: Element) -> SalesArea:
    fields = _fields(segment, _MVKEM)
    return SalesArea(
        required(fields, "VKORG", segment),
        required(fields, "VTWEG", segment),
        text(fields, "LVORM") == DELETION_FLAG,
        text(fields, "VMSTA"),
        day(fields, "VMSTD", segment),
    )


def _plant(segment: Element) -> PlantData:
    fields = _fields(segment, _MARCM)
    return PlantData(
        required(fields, "WERKS", segment),
        text(fields, "LVORM") == DELETION_FLAG,
        text(fields, "MMSTA"),
    )


# -- writing ---------------------------------------------------------------


def matmas05_idoc(material: Material, control: ControlRecord) -> Idoc:
    """The material as a MATMAS05 IDoc under ``control`` (its DOCNUM is the material's).

    Carries the fields ``read_materials`` reads, so reading the written file
    gives the material back (with its position in that file).
    """
    if control.idoc_type != IDOC_TYPE:
        raise ConfigError(f"a Material is a {IDOC_TYPE}, not a {control.idoc_type}")
    control = replace(control, docnum=material.docnum)
    with building(control):
        children = [
            *(
                build_segment(
                    "E1MAKTM", [("MSGFN", CHANGE), ("SPRAS_ISO", d.language), ("MAKTX", d.text)]
                )
                for d in material.descriptions
            ),
            *(_plant_segment(plant) for plant in material.plants),
            *(_unit_segment(unit) for unit in material.units),
            *(_sales_area_segment(area) for area in material.sales_areas),
        ]
        maram = build_segment(
            "E1MARAM",
            [
                ("MSGFN", CHANGE),
                ("MATNR", material.number),
                ("LVORM", DELETION_FLAG if material.deleted else ""),
                ("MTART", material.material_type),
                ("MATKL", material.material_group),
                ("MEINS", material.base_unit),
            ],
            children,
            required=("MATNR",),
        )
        return Idoc(control, (maram,))


def write_materials(materials: Iterable[Material], out: BinaryIO, control: ControlRecord) -> int:
    """Stream ``materials`` into ``out`` as one MATMAS05 package; returns the IDoc count."""
    return write_idocs((matmas05_idoc(material, control) for material in materials), out)


def _unit_segment(unit: MaterialUnit) -> Segment:
    eans = [
        build_segment(
            "E1MEANM",
            [
                ("MSGFN", CHANGE),
                ("MEINH", unit.unit),
                ("LFNUM", f"{n:05d}"),
                ("EAN11", ean),
                ("HPEAN", "X" if ean == unit.main_ean else ""),
            ],
        )
        for n, ean in enumerate(unit.eans, 1)
    ]
    return build_segment(
        "E1MARMM",
        [
            ("MSGFN", CHANGE),
            ("MEINH", unit.unit),
            ("UMREZ", str(unit.numerator)),
            ("UMREN", str(unit.denominator)),
            ("EAN11", unit.main_ean),
        ],
        eans,
    )


def _sales_area_segment(area: SalesArea) -> Segment:
    return build_segment(
        "E1MVKEM",
        [
            ("MSGFN", CHANGE),
            ("VKORG", area.sales_org),
            ("VTWEG", area.distribution_channel),
            ("LVORM", DELETION_FLAG if area.deleted else ""),
            ("VMSTA", area.status),
            ("VMSTD", area.status_from),
        ],
    )


def _plant_segment(plant: PlantData) -> Segment:
    return build_segment(
        "E1MARCM",
        [
            ("MSGFN", CHANGE),
            ("WERKS", plant.plant),
            ("LVORM", DELETION_FLAG if plant.deleted else ""),
            ("MMSTA", plant.status),
        ],
    )
