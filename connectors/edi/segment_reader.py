"""Walk a transaction set's segments and turn bad content into AK3/AK4 notes.

A document reader is a table ``{segment id: handler}`` and a mutable draft.
:func:`walk_set` calls the handler of each segment; a handler that meets a bad
element raises :class:`ElementProblem`, which becomes a ``SegmentNote`` for
that segment, and the walk goes on so one 997 can list every problem.
Segments no handler claims are skipped when their id is well formed (a 945
may carry G69, W10, W03... that the platform does not use).

The value functions (``need``, ``quantity``, ``calendar_date``...) take an
element's text and its 1-based position (for the AK4) and return the typed
value: Decimal for quantities (never float), ``datetime.date`` for dates.
Handlers first ``padded()`` a segment so optional elements can be indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import NoReturn

from connectors.edi.envelope import TransactionSet
from connectors.edi.errors import (
    DocumentError,
    ElementNote,
    ElementSyntax,
    SegmentNote,
    SegmentSyntax,
)

Handler = Callable[[object, list[str]], None]
# Quantities and dates repeat across a file (1, 2, 12, today...); Decimal and date are
# immutable, so parsed values are shared. Bounded so a hostile file cannot grow them.
_CACHE_LIMIT = 4096
_DECIMALS: dict[str, Decimal] = {}
_DATES: dict[str, date] = {}
_BLANKS = tuple(("",) * count for count in range(24))


class ElementProblem(Exception):
    """Raised by a handler for one bad element; never leaves this package."""

    def __init__(self, note: ElementNote):
        super().__init__(note.detail)
        self.note = note


class SegmentProblem(Exception):
    """Raised by a handler for a segment that is wrong as a whole (e.g. out of place)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def walk_set(
    ts: TransactionSet, handlers: Mapping[str, Handler], draft: object
) -> list[SegmentNote]:
    """Feed every segment to its handler; return the notes of the bad ones."""
    notes: list[SegmentNote] = []
    claim = handlers.get
    separator = ts.delimiters.element
    # ST and SE were checked by the envelope reader; the body starts at position 2.
    for position, text in enumerate(ts.segments[1:-1], start=2):
        segment = text.split(separator)
        tag = segment[0]
        handler = claim(tag)
        if handler is None:
            note = unrecognized(tag, position)
            if note:
                notes.append(note)
            continue
        try:
            handler(draft, segment)
        except (ElementProblem, SegmentProblem) as bad:
            notes.append(note_for(tag, position, bad))
    return notes


def note_for(tag: str, position: int, bad: ElementProblem | SegmentProblem) -> SegmentNote:
    """The AK3 (with its AK4) for a problem a handler raised at ``position``."""
    if isinstance(bad, ElementProblem):
        code = SegmentSyntax.HAS_ELEMENT_ERRORS
        return SegmentNote(tag, position, code, (bad.note,), detail=bad.note.detail)
    return SegmentNote(tag, position, bad.code, detail=bad.detail)


def unrecognized(tag: str, position: int) -> SegmentNote | None:
    """The AK3 for a segment id that is not one or that cannot be inside a set (else None)."""
    if tag in _WELL_FORMED_IDS or _well_formed_id(tag):
        return None
    if tag in _ENVELOPE_IDS:
        detail = f"envelope segment {tag} inside a transaction set"
        return SegmentNote(tag, position, SegmentSyntax.UNEXPECTED, detail=detail)
    detail = f"{tag[:12]!r} is not a segment id"
    return SegmentNote(tag[:3], position, SegmentSyntax.UNRECOGNIZED_ID, detail=detail)


def missing_segment(tag: str, position: int, what: str) -> SegmentNote:
    """Note for a mandatory segment that never came (``position``: where it belonged)."""
    return SegmentNote(tag, position, SegmentSyntax.MANDATORY_MISSING, detail=f"{what} is missing")


def noted(notes: list[SegmentNote], tag: str) -> bool:
    """True when ``tag`` already has a note: a bad segment is not also a missing one."""
    return any(note.segment_id == tag for note in notes)


def out_of_place(why: str) -> NoReturn:
    """For a handler: this segment may not appear here."""
    raise SegmentProblem(SegmentSyntax.UNEXPECTED, why)


def raise_for_notes(ts: TransactionSet, notes: list[SegmentNote]) -> None:
    """Raise the set's ``DocumentError`` when anything was noted."""
    if notes:
        raise DocumentError(
            set_code=ts.code,
            control_number=ts.control_number,
            position=ts.position,
            notes=tuple(sorted(notes, key=lambda note: note.position)),
            interchange_control_number=ts.interchange_control_number,
            group_control_number=ts.group_control_number,
        )


def padded(segment: list[str], size: int) -> list[str]:
    """``segment`` itself, with empty strings appended so indexes below ``size`` exist."""
    missing = size - len(segment)
    if missing > 0:
        segment.extend(_BLANKS[missing] if missing < len(_BLANKS) else ("",) * missing)
    return segment


def need(value: str, index: int, what: str) -> str:
    """A mandatory element's value; blank raises the AK4 "mandatory missing"."""
    if not value or value.isspace():
        problem(index, ElementSyntax.MANDATORY_MISSING, "", f"{what} is missing")
    return value


def quantity(value: str, index: int, what: str) -> Decimal | None:
    """An X12 numeric (R/Nn) element as Decimal: optional minus, digits, one point."""
    number = _DECIMALS.get(value)
    if number is not None:
        return number
    if not value:
        return None
    digits = value[1:] if value[0] == "-" else value
    if not (digits.replace(".", "", 1).isdigit() and digits.isascii()):
        problem(index, ElementSyntax.INVALID_CHARACTER, value, f"{what} {value!r} is not a number")
    number = Decimal(value)
    if len(_DECIMALS) < _CACHE_LIMIT:
        _DECIMALS[value] = number
    return number


def need_quantity(value: str, index: int, what: str) -> Decimal:
    number = quantity(value, index, what)
    if number is None:
        problem(index, ElementSyntax.MANDATORY_MISSING, "", f"{what} is missing")
    return number


def whole_number(value: str, index: int, what: str) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        detail = f"{what} {value!r} is not a whole number"
        problem(index, ElementSyntax.INVALID_CHARACTER, value, detail)
    return int(value)


def calendar_date(value: str, index: int, what: str, required: bool = False) -> date | None:
    """A CCYYMMDD date element."""
    day = _DATES.get(value)
    if day is not None:
        return day
    if not value:
        if required:
            problem(index, ElementSyntax.MANDATORY_MISSING, "", f"{what} is missing")
        return None
    if len(value) == 8 and value.isascii() and value.isdigit():
        try:
            day = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            day = None
        if day is not None:
            if len(_DATES) < _CACHE_LIMIT:
                _DATES[value] = day
            return day
    problem(index, ElementSyntax.INVALID_DATE, value, f"{what} {value!r} is not a date CCYYMMDD")


def problem(index: int, code: str, bad_value: str, detail: str) -> NoReturn:
    raise ElementProblem(ElementNote(index, code, bad_value[:99], detail=detail))


# Ids already seen well formed; at most 36**3 entries, so no need to bound it.
_WELL_FORMED_IDS: set[str] = set()
_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


def _well_formed_id(tag: str) -> bool:
    if tag in _ENVELOPE_IDS:
        return False
    if 2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.isupper():
        _WELL_FORMED_IDS.add(tag)
        return True
    return False
