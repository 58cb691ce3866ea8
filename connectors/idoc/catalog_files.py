"""Large, realistic MATMAS05 and COND_A04 files for tests and benchmarks, streamed.

``generate_matmas(out, count, seed=...)`` writes ``count`` materials as SAP's
XML port does: the EDI_DC40 control record, then E1MARAM with the general
fields a retail material carries (dates, creator, type, group, base unit,
weights, main EAN), 2-3 E1MAKTM descriptions (EN always, DE, FR), the base
unit and 1-2 alternative units in E1MARMM with valid GTIN-13s (and their
E1MEANM lists, a second EAN on some base units), 1-3 E1MVKEM sales areas and
1-3 E1MARCM plants. ``generate_conda04`` writes the matching prices: one
COND_A04 IDoc (table 304, PR00) per material and sales area.

Material ``n`` (1-based) is MATNR ``f"{10_000_000 + n:018d}"`` and its
content is a function of the catalog's seed and ``n`` alone (its own random
generator), so files are deterministic, and a delta file can hold the same
materials as a base file with exactly the chosen ones changed. Memory holds
one IDoc at a time: a million materials stream to disk.

Delta files: ``generate_matmas(out, count, seed=2, base_seed=1,
changed_fraction=0.01)`` writes base 1's materials with exactly
``round(count * 0.01)`` of them changed; ``pick_changes`` (what the result's
``changes`` holds) says which and how: a new description, a new main EAN, or
the material flagged for deletion, in turn. The price delta with the same
arguments changes the prices of those materials (a deleted material's prices
are flagged for deletion).

Bad rows: ``bad_rows={position: BadRow.BAD_EAN, ...}`` spoils those
materials (or their first price) the way each refusal reason needs;
``BadRow.UNKNOWN_UNIT`` gives a unit code no unit mapping has ("ZZ9"), which
the reader accepts and the catalog refuses.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import BinaryIO

from connectors.idoc import cond_a04, matmas05
from connectors.idoc.control import ControlRecord
from connectors.idoc.records import gtin_check_digit
from connectors.idoc.segments import Idoc
from connectors.idoc.writing import DECLARATION, idoc_text

FIRST_MATERIAL = 10_000_000
UNKNOWN_UNIT = "ZZ9"
BAD_DATE = "20251301"


class Change(StrEnum):
    DESCRIPTION = "description"
    EAN = "ean"
    DELETED = "deleted"


class BadRow(StrEnum):
    MISSING_MATNR = "missing_matnr"
    BAD_EAN = "bad_ean"
    UNKNOWN_UNIT = "unknown_unit"
    BAD_DATE = "bad_date"
    MISSING_CURRENCY = "missing_currency"  # prices only


@dataclass(frozen=True)
class GeneratedFile:
    """What was written: IDoc count, and which materials were changed or spoiled (by position)."""

    idocs: int
    materials: int
    changes: Mapping[int, Change] = field(default_factory=dict)
    bad_rows: Mapping[int, BadRow] = field(default_factory=dict)


def material_number(position: int) -> str:
    """MATNR of the generated material at ``position`` (1-based), 18 digits as SAP pads it."""
    return f"{FIRST_MATERIAL + position:018d}"


def pick_changes(count: int, changed_fraction: float, seed: int) -> dict[int, Change]:
    """Exactly ``round(count * changed_fraction)`` positions, each with the kind of its change."""
    changed = round(count * changed_fraction)
    if not 0 <= changed <= count:
        raise ValueError(f"changed_fraction {changed_fraction} is not between 0 and 1")
    positions = sorted(random.Random(seed).sample(range(1, count + 1), changed))
    kinds = tuple(Change)
    return {position: kinds[rank % len(kinds)] for rank, position in enumerate(positions)}


def generate_matmas(
    out: BinaryIO,
    count: int,
    *,
    seed: int,
    changed_fraction: float = 0.0,
    base_seed: int | None = None,
    bad_rows: Mapping[int, BadRow] | None = None,
    first_docnum: int = 1,
) -> GeneratedFile:
    """Write ``count`` materials as one MATMAS05 package into ``out``; see the module docstring."""
    plan = _Plan(count, seed, changed_fraction, base_seed, bad_rows, first_docnum)
    control = _control(matmas05.IDOC_TYPE, matmas05.MESSAGE_TYPE, plan.catalog_seed)
    written = _write_package(out, control, plan.material_idocs())
    return GeneratedFile(written, count, plan.changes, plan.bad_rows)


def generate_conda04(
    out: BinaryIO,
    count: int,
    *,
    seed: int,
    changed_fraction: float = 0.0,
    base_seed: int | None = None,
    bad_rows: Mapping[int, BadRow] | None = None,
    first_docnum: int = 1,
) -> GeneratedFile:
    """Write the PR00 prices of ``count`` materials as one COND_A04 package into ``out``."""
    plan = _Plan(count, seed, changed_fraction, base_seed, bad_rows, first_docnum)
    control = _control(cond_a04.IDOC_TYPE, cond_a04.MESSAGE_TYPE, plan.catalog_seed)
    written = _write_package(out, control, plan.price_idocs())
    return GeneratedFile(written, count, plan.changes, plan.bad_rows)


def _control(idoc_type: str, message_type: str, seed: int) -> ControlRecord:
    """SAP's outbound control record to us: client 100, port SAPERP, status 30."""
    return ControlRecord(
        idoc_type=idoc_type,
        message_type=message_type,
        client="100",
        release="757",
        status="30",
        direction="1",
        output_mode="2",
        sender_port="SAPERP",
        sender_partner_type="LS",
        sender_partner="ERPCLNT100",
        receiver_port="SYNCPLAT",
        receiver_partner_type="LS",
        receiver_partner="SYNCPLAT",
        created_at=datetime(2026, 12, 1, 2, 0, seed % 60),
    )


# -- what a material is made of ---------------------------------------------

NOUNS = (
    # (EN, DE, FR, material group)
    ("T-shirt", "T-Shirt", "T-shirt", "APP-TOPS"),
    ("Hoodie", "Kapuzenpulli", "Sweat à capuche", "APP-TOPS"),
    ("Jeans", "Jeans", "Jean", "APP-BTMS"),
    ("Sneaker", "Turnschuh", "Basket", "SHOES"),
    ("Backpack", "Rucksack", "Sac à dos", "BAGS"),
    ("Mug", "Becher", "Tasse", "HOME-KIT"),
    ("Towel", "Handtuch", "Serviette", "HOME-BATH"),
    ("Desk lamp", "Schreibtischlampe", "Lampe de bureau", "HOME-LGT"),
)
COLOURS = (
    ("black", "schwarz", "noir"),
    ("white", "weiß", "blanc"),
    ("navy", "marineblau", "bleu marine"),
    ("red", "rot", "rouge"),
    ("olive", "oliv", "olive"),
)
SIZES = ("XS", "S", "M", "L", "XL", "one size")
LANGUAGES = (("E", "EN"), ("D", "DE"), ("F", "FR"))
PACKS = (("PAK", (6, 12)), ("CS", (24, 48)))
SALES_AREAS = (("1000", "10"), ("1000", "20"), ("2000", "10"))
CURRENCIES = {"1000": "EUR", "2000": "USD"}
PLANTS = ("1000", "1100", "2000")


def ean13(prefix: int, position: int, unit_index: int) -> str:
    """A valid GTIN-13 in GS1's in-store range (20-29): unique per prefix, material and unit."""
    body = f"{prefix:02d}{position:09d}{unit_index}"
    return body + str(gtin_check_digit(body))


class _Plan:
    """The materials of one file: a base catalog, its changes and its spoiled rows."""

    def __init__(self, count, seed, changed_fraction, base_seed, bad_rows, first_docnum):
        if count < 1:
            raise ValueError("a file holds at least one material")
        if first_docnum < 1 or first_docnum + len(SALES_AREAS) * count >= 10**16:
            raise ValueError(f"DOCNUMs from {first_docnum} do not fit 16 digits")
        self.count = count
        self.catalog_seed = seed if base_seed is None else base_seed
        self.changes = pick_changes(count, changed_fraction, seed) if changed_fraction else {}
        self.bad_rows = dict(bad_rows or {})
        self.first_docnum = first_docnum

    def material_idocs(self) -> Iterator[tuple[int, str]]:
        """``(DOCNUM, data segments' text)`` per IDoc."""
        for position in range(1, self.count + 1):
            material = _Material(self.catalog_seed, position)
            change = self.changes.get(position)
            bad = self.bad_rows.get(position)
            yield self.first_docnum + position - 1, material.maram(change, bad)

    def price_idocs(self) -> Iterator[tuple[int, str]]:
        docnum = self.first_docnum
        for position in range(1, self.count + 1):
            material = _Material(self.catalog_seed, position)
            change = self.changes.get(position)
            bad = self.bad_rows.get(position)
            for index, area in enumerate(material.sales_areas):
                yield docnum, material.condition(index, area, change, bad if index == 0 else None)
                docnum += 1


class _Material:
    """One generated material: every choice drawn from its own seeded generator."""

    def __init__(self, catalog_seed: int, position: int):
        rng = random.Random(catalog_seed * 1_000_003 + position)
        self.position = position
        self.number = material_number(position)
        self.noun = rng.choice(NOUNS)
        self.colour = rng.choice(COLOURS)
        self.size = rng.choice(SIZES)
        self.languages = LANGUAGES[: rng.choice((2, 3))]
        self.packs = [(unit, rng.choice(sizes)) for unit, sizes in PACKS[: rng.choice((1, 2))]]
        self.has_second_ean = rng.random() < 0.2
        self.sales_areas = sorted(rng.sample(SALES_AREAS, rng.choice((1, 2, 3))))
        self.blocked_area = rng.random() < 0.05  # first sales area with status Z1
        self.plants = sorted(rng.sample(PLANTS, rng.choice((1, 2, 3))))
        self.is_trading_good = rng.random() < 0.9
        self.weight = rng.randrange(50, 5000)  # grams
        self.created = date(2015, 1, 1).toordinal() + rng.randrange(3650)
        self.cents = [rng.randrange(199, 49_999) for _ in self.sales_areas]
        self.reorder_point = rng.randrange(0, 200)

    # -- MATMAS05

    def maram(self, change: Change | None, bad: BadRow | None) -> str:
        main_ean = ean13(21 if change is Change.EAN else 20, self.position, 0)
        if bad is BadRow.BAD_EAN:
            main_ean = main_ean[:-1] + str((int(main_ean[-1]) + 1) % 10)
        created = date.fromordinal(self.created).strftime("%Y%m%d")
        fields = {
            "MSGFN": "005",
            "MATNR": "" if bad is BadRow.MISSING_MATNR else self.number,
            "ERSDA": created,
            "ERNAM": "MDM_BATCH",
            "LAEDA": "20261130",
            "AENAM": "MDM_BATCH",
            "PSTAT": "KVEDLB",
        }
        if change is Change.DELETED:
            fields["LVORM"] = "X"
        fields.update(
            {
                "MTART": "HAWA" if self.is_trading_good else "FERT",
                "MBRSH": "1",
                "MATKL": self.noun[3],
                "BISMT": f"OLD-{self.position}",
                "MEINS": "EA",
                "BRGEW": f"{self.weight / 1000 + 0.05:.3f}",
                "NTGEW": f"{self.weight / 1000:.3f}",
                "GEWEI": "KGM",
                "SPART": "01",
                "EAN11": main_ean,
                "NUMTP": "HE",
                "MTPOS_MARA": "NORM",
            }
        )
        children = [
            *self.descriptions(change),
            *self.plant_segments(),
            *self.units(main_ean, bad),
            *self.sales_area_segments(bad),
        ]
        return _segment("E1MARAM", fields, children)

    def descriptions(self, change: Change | None) -> Iterator[str]:
        texts = (
            f"{self.noun[0]} {self.colour[0]} {self.size}",
            f"{self.noun[1]} {self.colour[1]} {self.size}",
            f"{self.noun[2]} {self.colour[2]} {self.size}",
        )
        for (spras, iso), text in zip(self.languages, texts, strict=False):
            if change is Change.DESCRIPTION:
                text += " (2027)"
            fields = {"MSGFN": "005", "SPRAS": spras, "MAKTX": text, "SPRAS_ISO": iso}
            yield _segment("E1MAKTM", fields)

    def plant_segments(self) -> Iterator[str]:
        for plant in self.plants:
            fields = {
                "MSGFN": "005",
                "WERKS": plant,
                "PSTAT": "VEDLB",
                "MAABC": "B",
                "EKGRP": "001",
                "DISMM": "VB",
                "DISPO": "001",
                "PLIFZ": "5",
                "WEBAZ": "1",
                "PERKZ": "M",
                "MINBE": f"{self.reorder_point}.000",
                "MTVFP": "02",
                "LADGR": "0001",
                "PRCTR": f"PC{plant}",
            }
            yield _segment("E1MARCM", fields)

    def units(self, main_ean: str, bad: BadRow | None) -> Iterator[str]:
        base_eans = [main_ean]
        if self.has_second_ean:
            base_eans.append(ean13(25, self.position, 0))
        yield self.unit("EA", 1, base_eans, self.weight)
        for index, (unit, size) in enumerate(self.packs, 1):
            code = UNKNOWN_UNIT if bad is BadRow.UNKNOWN_UNIT and index == 1 else unit
            yield self.unit(code, size, [ean13(20, self.position, index)], self.weight * size)

    def unit(self, unit: str, size: int, eans: list[str], grams: int) -> str:
        side = 10 * round(size ** (1 / 3) * 2)
        fields = {
            "MSGFN": "005",
            "MEINH": unit,
            "UMREZ": str(size),
            "UMREN": "1",
            "EAN11": eans[0],
            "NUMTP": "HE",
            "LAENG": f"{side}.000",
            "BREIT": f"{side}.000",
            "HOEHE": f"{side}.000",
            "MEABM": "CM",
            "VOLUM": f"{side**3 / 1000:.3f}",
            "VOLEH": "DMQ",
            "BRGEW": f"{grams / 1000 + 0.05:.3f}",
            "GEWEI": "KGM",
        }
        listed = [
            _segment(
                "E1MEANM",
                {
                    "MSGFN": "005",
                    "MEINH": unit,
                    "LFNUM": f"{number:05d}",
                    "EAN11": ean,
                    "EANTP": "HE",
                    "HPEAN": "X" if number == 1 else "",
                },
            )
            for number, ean in enumerate(eans, 1)
        ]
        return _segment("E1MARMM", fields, listed)

    def sales_area_segments(self, bad: BadRow | None) -> Iterator[str]:
        for index, (sales_org, channel) in enumerate(self.sales_areas):
            fields = {"MSGFN": "005", "VKORG": sales_org, "VTWEG": channel}
            if index == 0 and bad is BadRow.BAD_DATE:
                fields |= {"VMSTA": "Z1", "VMSTD": BAD_DATE}
            elif index == 0 and self.blocked_area:
                fields |= {"VMSTA": "Z1", "VMSTD": "20261201"}
            fields |= {
                "VERSG": "1",
                "KTGRM": "01",
                "MTPOS": "NORM",
                "DWERK": self.plants[0],
                "PRODH": f"{self.noun[3]:<9}".replace(" ", "0"),
                "MVGR1": self.colour[0][:3].upper(),
            }
            yield _segment("E1MVKEM", fields)

    # -- COND_A04

    def condition(
        self, index: int, area: tuple[str, str], change: Change | None, bad: BadRow | None
    ) -> str:
        sales_org, channel = area
        cents = self.cents[index]
        if change is not None and change is not Change.DELETED:
            cents += 100  # a price change that comes with the material's
        item = {
            "KSCHL": "PR00",
            "STFKZ": "A",
            "KRECH": "C",
            "KBETR": f"{cents // 100}.{cents % 100:02d}",
            "KONWA": "" if bad is BadRow.MISSING_CURRENCY else CURRENCIES[sales_org],
            "KPEIN": "1",
            "KMEIN": "EA",
        }
        if change is Change.DELETED:
            item["LOEVM_KO"] = "X"
        period = {
            "KNUMH": f"{self.position * 3 + index:010d}",
            "DATAB": BAD_DATE if bad is BadRow.BAD_DATE else "20260101",
            "DATBI": "99991231",
        }
        key = {
            "KVEWE": cond_a04.PRICING,
            "KOTABNR": cond_a04.MATERIAL_TABLE,
            "KAPPL": cond_a04.SALES,
            "KSCHL": "PR00",
            "VAKEY": cond_a04.variable_key(sales_org, channel, self.number),
            "VKORG": sales_org,
            "VTWEG": channel,
            "MATNR": "" if bad is BadRow.MISSING_MATNR else self.number,
        }
        e1konh = _segment("E1KONH", period, [_segment("E1KONP", item)])
        return _segment("E1KOMG", key, [e1konh])


def _segment(name: str, fields: dict[str, str], children: Iterable[str] = ()) -> str:
    """A segment as ``writing`` writes it (a line each; empty fields left out).

    Generated values are digits, codes and the word lists above, none of
    which needs escaping (checked below), so the text is composed directly:
    building ``Segment`` objects for ``write_idocs`` took twice as long.
    """
    body = "".join([f"<{field}>{value}</{field}>" for field, value in fields.items() if value])
    return f'\n<{name} SEGMENT="1">{body}{"".join(children)}</{name}>'


def _write_package(out: BinaryIO, control: ControlRecord, idocs: Iterable[tuple[int, str]]) -> int:
    """The package ``write_idocs`` would write, IDoc by IDoc, 100 IDocs a write."""
    head = idoc_text(Idoc(replace(control, docnum=_DOCNUM_MARK)), control.idoc_type, 1)
    before, after = head.split(_DOCNUM_MARK)
    after = after.removesuffix("\n</IDOC>\n")
    out.write(DECLARATION + f"<{control.idoc_type}>\n".encode())
    written, pending = 0, []
    for docnum, segments in idocs:
        written += 1
        pending.append(f"{before}{docnum:016d}{after}{segments}\n</IDOC>\n")
        if len(pending) == 100:
            out.write("".join(pending).encode())
            pending.clear()
    out.write("".join(pending).encode() + f"</{control.idoc_type}>\n".encode())
    return written


_DOCNUM_MARK = "9999999999999999"
_CLEAN = re.compile(r"[^&<>\r]*")
assert all(
    _CLEAN.fullmatch(word)
    for words in (*NOUNS, *COLOURS, SIZES, *LANGUAGES, *SALES_AREAS, PLANTS)
    for word in words
), "a generated value would need escaping"
