"""Write X12 interchanges: a fixed-width ISA, one functional group, correct counts.

The caller owns every identity and number on the envelope (``Envelope``):
sender and receiver ids, the interchange and group control numbers (the
Django side draws them from a per-partner sequence, so writing the same
documents with the same envelope gives the same bytes), the date and time,
test or production. Transaction sets are numbered 0001, 0002... inside the
group.

Output: ``004010`` by default (ISA12 ``00401``, ISA11 ``U``); ``005010`` when
asked (ISA12 ``00501``, ISA11 is the repetition separator ``^``). Segments end
with ``~`` and, unless ``line_breaks=False``, a newline. The ISA is always
106 characters: ISA06/ISA08 padded to 15, ISA13 nine digits.

X12 has no escape character, so a delimiter or line break inside a value is
replaced by a space, and values are stripped; trailing empty elements are
dropped. Bytes are UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.edi.tokenizer import REPETITION_FROM_VERSION, Delimiters
from connectors.errors import ConfigError

# [id, element1, ...]; None and "" are empty elements, a tuple is a composite element
Segment = Sequence[object]
MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True)
class EdiIdentity:
    """How one side is named on the envelope (configured per partner)."""

    qualifier: str  # ISA05/ISA07, e.g. "ZZ" mutually defined, "01" DUNS
    id: str  # ISA06/ISA08, at most 15 characters
    application_code: str = ""  # GS02/GS03; the ISA id when empty

    @property
    def group_code(self) -> str:
        return self.application_code or self.id


@dataclass(frozen=True)
class Envelope:
    """Everything on ISA/GS that is not the documents themselves."""

    sender: EdiIdentity
    receiver: EdiIdentity
    interchange_control_number: int
    group_control_number: int
    prepared_at: datetime
    usage: str = "P"  # ISA15: P production, T test
    version: str = "004010"  # GS08; ISA12 is its first five digits
    ack_requested: bool = False  # ISA14: ask the partner for a TA1
    line_breaks: bool = True  # newline after each terminator, for people reading files

    @property
    def delimiters(self) -> Delimiters:
        repetition = "^" if self.version[:5] >= REPETITION_FROM_VERSION else ""
        return Delimiters("*", ">", "~", repetition)


def write_interchange(
    envelope: Envelope, functional_id: str, sets: Sequence[tuple[str, list[Segment]]]
) -> bytes:
    """One interchange with one group of ``sets``: ``(ST01 code, body segments)``.

    The body segments exclude ST and SE, which are added with their count.
    """
    _check(envelope)
    delimiters = envelope.delimiters
    segments: list[Segment] = [isa_elements(envelope, delimiters), _gs(envelope, functional_id)]
    for number, (code, body) in enumerate(sets, start=1):
        control = f"{number:04d}"
        segments.append(["ST", code, control])
        segments.extend(body)
        segments.append(["SE", len(body) + 2, control])
    segments.append(["GE", len(sets), envelope.group_control_number])
    segments.append(["IEA", 1, f"{envelope.interchange_control_number:09d}"])
    isa, *rest = segments
    text = serialize([isa], delimiters, envelope.line_breaks, clean=False)
    text += serialize(rest, delimiters, envelope.line_breaks)
    return text.encode("utf-8")


def isa_elements(envelope: Envelope, delimiters: Delimiters) -> list[str]:
    """The 17 items of a fixed-width ISA (``"ISA"`` + ISA01..ISA16)."""
    version = envelope.version[:5]
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        envelope.sender.qualifier.ljust(2),
        envelope.sender.id.ljust(15),
        envelope.receiver.qualifier.ljust(2),
        envelope.receiver.id.ljust(15),
        envelope.prepared_at.strftime("%y%m%d"),
        envelope.prepared_at.strftime("%H%M"),
        delimiters.repetition or "U",
        version,
        f"{envelope.interchange_control_number:09d}",
        "1" if envelope.ack_requested else "0",
        envelope.usage,
        delimiters.component,
    ]


def serialize(
    segments: Iterable[Segment],
    delimiters: Delimiters,
    line_breaks: bool = True,
    clean: bool = True,
) -> str:
    """Segments as X12 text; ``clean`` replaces delimiters inside values by spaces."""
    ending = delimiters.segment + ("\n" if line_breaks else "")
    # One translate table per call: writing 10,000 940 sets spends its time here.
    table = _cleaning_table(delimiters) if clean else None
    separator, component = delimiters.element, delimiters.component
    lines = []
    for segment in segments:
        values = [segment[0]]
        for value in segment[1:]:
            if value is None or value == "":
                values.append("")
            elif isinstance(value, tuple):
                values.append(component.join(_text(part, table) for part in value))
            else:
                values.append(_text(value, table))
        while len(values) > 1 and values[-1] == "":
            values.pop()
        lines.append(separator.join(values))
    return ending.join(lines) + ending


def _cleaning_table(delimiters: Delimiters) -> dict[int, str]:
    return str.maketrans({char: " " for char in delimiters.characters() + "\r\n"})


def _text(value: object, table: dict[int, str] | None) -> str:
    text = "" if value is None else str(value)
    return text.translate(table).strip() if table is not None else text


def clean_value(value: str, delimiters: Delimiters) -> str:
    return value.translate(_cleaning_table(delimiters)).strip()


def _gs(envelope: Envelope, functional_id: str) -> Segment:
    return [
        "GS",
        functional_id,
        envelope.sender.group_code,
        envelope.receiver.group_code,
        envelope.prepared_at.strftime("%Y%m%d"),
        envelope.prepared_at.strftime("%H%M"),
        envelope.group_control_number,
        "X",
        envelope.version,
    ]


def _check(envelope: Envelope) -> None:
    for side, identity in (("sender", envelope.sender), ("receiver", envelope.receiver)):
        if not 1 <= len(identity.qualifier) <= 2 or not 1 <= len(identity.id) <= 15:
            raise ConfigError(f"EDI {side} {identity}: qualifier 1-2 and id 1-15 characters")
    for name in ("interchange_control_number", "group_control_number"):
        if not 1 <= getattr(envelope, name) <= MAX_CONTROL_NUMBER:
            raise ConfigError(f"{name} {getattr(envelope, name)} is not in 1..999999999")
    if envelope.usage not in ("P", "T"):
        raise ConfigError(f"usage {envelope.usage!r} is not P (production) or T (test)")
    if len(envelope.version) < 6 or not envelope.version[:6].isdigit():
        raise ConfigError(f"version {envelope.version!r} is not like 004010 or 005010")
