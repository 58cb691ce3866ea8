"""The ISA header: where every delimiter of an interchange comes from.

``read_isa(text, start, number, position)`` reads the ISA at ``start`` by
counting its 16 element separators (not fixed offsets: real partners send
ISAs without padding), checks the shape of its elements and returns them
with the :class:`Delimiters`: the element separator is the character after
``ISA``, ISA16 the component separator, the next character the segment
terminator, and ISA11 the repetition separator from version 00501 on.
Everything wrong raises :class:`EnvelopeError` naming the ISA element; the
interchange is named by its ISA13 once that is readable, else by its ordinal
in the file ("interchange 1").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from connectors.edi.errors import EnvelopeError

WHITESPACE = " \t\r\n\x0b\x0c"
LINE_BREAKS = "\r\n"
ISA_ELEMENT_COUNT = 16
REPETITION_FROM_VERSION = "00501"
# ISA01..ISA08 maximum lengths once padding is stripped; longer means the ISA
# is shifted (an element missing or one too many).
_ISA_MAX_LENGTHS = {1: 2, 2: 10, 3: 2, 4: 10, 5: 2, 6: 15, 7: 2, 8: 15}
# "ISA" in every EBCDIC code page, as decoded by the Latin-1 fallback (never valid UTF-8):
# a mainframe file sent without conversion.
EBCDIC_ISA = "\xc9\xe2\xc1"
_LEADING_WHITESPACE = re.compile(f"[{re.escape(WHITESPACE)}]*")


@dataclass(frozen=True)
class Delimiters:
    """The four X12 delimiters; ``component``/``repetition`` are '' when unused."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str = ""

    def characters(self) -> str:
        return self.element + self.component + self.segment + self.repetition


def read_isa(text: str, start: int, number: int, position: int):
    """Read the ISA at ``start``: ``(isa elements, Delimiters, index after its terminator)``."""
    if not text.startswith("ISA", start):
        no_isa(text, start, number, position)
    control_number = None  # ISA13 once it is known to be readable

    def fail(detail: str, element: str | None = None) -> NoReturn:
        raise EnvelopeError(
            detail,
            interchange=control_number or str(number),
            interchange_control_number=control_number,
            position=position,
            segment_id="ISA",
            element=element,
        )

    separator = text[start + 3 : start + 4]
    if not separator:
        fail("the data ends right after 'ISA'", "ISA01")
    if not is_delimiter(separator) or separator in LINE_BREAKS:
        fail(f"element separator {separator!r} (4th character of the ISA) is not a delimiter")
    separators = _isa_separators(text, start, separator, fail)
    elements = ["ISA"] + [
        text[separators[k] + 1 : separators[k + 1]] for k in range(ISA_ELEMENT_COUNT - 1)
    ]
    _check_isa_elements(elements, fail)
    control_number = elements[13]
    component, terminator = _component_and_terminator(text, separators[-1] + 1, fail)
    elements.append(component)
    repetition = _repetition(elements, separator, component, terminator, fail)
    if component and (not is_delimiter(component) or component in (separator, terminator)):
        fail(f"component separator {component!r} is not a distinct ASCII delimiter", "ISA16")
    if not is_delimiter(terminator) or terminator == separator:
        fail(f"segment terminator {terminator!r} is not a distinct ASCII delimiter", "ISA16")
    delimiters = Delimiters(separator, component, terminator, repetition)
    return elements, delimiters, separators[-1] + 1 + len(component) + 1


def _isa_separators(text: str, start: int, separator: str, fail) -> list[int]:
    """Positions of the 16 element separators of the ISA, all on its first line."""
    line_end = len(text)
    for brk in LINE_BREAKS:
        found = text.find(brk, start)
        if 0 <= found < line_end:
            line_end = found
    positions = [start + 3]
    for count in range(1, ISA_ELEMENT_COUNT):
        found = text.find(separator, positions[-1] + 1)
        if found < 0 or found > line_end:
            cause = "the data ends" if line_end == len(text) else "a line break follows"
            fail(
                f"missing: the ISA breaks off after {count} of its 16 elements ({cause})",
                f"ISA{count + 1:02d}",
            )
        positions.append(found)
    return positions


def _check_isa_elements(elements: list[str], fail) -> None:
    for index, limit in _ISA_MAX_LENGTHS.items():
        if len(elements[index].strip()) > limit:
            fail(f"{elements[index]!r} is longer than {limit} characters", f"ISA{index:02d}")
    shapes = ((9, 6, "a date YYMMDD"), (10, 4, "a time HHMM"), (12, 5, "a 5-digit version"))
    for index, length, meaning in shapes:
        if len(elements[index]) != length or not _digits(elements[index]):
            fail(f"{elements[index]!r} is not {meaning}", f"ISA{index:02d}")
    if len(elements[11]) != 1:
        fail(f"{elements[11]!r} is not a single character", "ISA11")
    if not (1 <= len(elements[13]) <= 9 and _digits(elements[13])):
        fail(f"control number {elements[13]!r} is not 1 to 9 digits", "ISA13")
    if elements[14] not in ("0", "1"):
        fail(f"acknowledgment flag {elements[14]!r} is not 0 or 1", "ISA14")
    if elements[15] not in ("P", "T", "I"):
        fail(f"usage indicator {elements[15]!r} is not P, T or I", "ISA15")


def _component_and_terminator(text: str, at: int, fail) -> tuple[str, str]:
    """ISA16 and the segment terminator, starting right after the 16th separator.

    Normally ``at`` holds ISA16 and ``at + 1`` the terminator. Some partners
    leave ISA16 empty: the character at ``at`` is then the terminator, which
    shows as a letter (the G of GS) or as end of data right after it, or as a
    line break followed by a line that itself ends with that character.
    """
    first, second = text[at : at + 1], text[at + 1 : at + 2]
    if not first:
        fail("the data ends before the component separator and segment terminator", "ISA16")
    if not second or second.isalnum() or first in LINE_BREAKS:
        return "", first
    if second in LINE_BREAKS and _next_line_ends_with(text, at + 1, first):
        return "", first
    return first, second


def _next_line_ends_with(text: str, at: int, char: str) -> bool:
    begin = skip_whitespace(text, at)
    end = text.find("\n", begin)
    line = text[begin : len(text) if end < 0 else end]
    return bool(line) and line.rstrip(" \t\r").endswith(char)


def _repetition(elements, separator, component, terminator, fail) -> str:
    mark = elements[11]
    if elements[12] < REPETITION_FROM_VERSION or mark.isalnum():
        return ""
    if not is_delimiter(mark) or mark in (separator, component, terminator):
        fail(f"repetition separator {mark!r} is not a distinct ASCII delimiter", "ISA11")
    return mark


def no_isa(text: str, start: int, number: int, position: int) -> NoReturn:
    found = text[start : start + 24]
    if not found:
        detail = "no ISA: the data is empty"
    elif found.startswith(EBCDIC_ISA):
        detail = (
            "the data looks EBCDIC-encoded; X12 here must be ASCII/UTF-8 "
            "(it starts with the bytes C9 E2 C1, 'ISA' in EBCDIC)"
        )
    else:
        detail = f"no ISA: the data starts with {found!r} instead of an ISA interchange header"
    raise EnvelopeError(detail, interchange=str(number), position=position, segment_id="ISA")


def skip_whitespace(text: str, at: int) -> int:
    return _LEADING_WHITESPACE.match(text, at).end()


def is_delimiter(char: str) -> bool:
    return len(char) == 1 and char.isascii() and not char.isalnum() and char != " "


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()
