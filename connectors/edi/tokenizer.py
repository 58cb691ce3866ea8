"""Split X12 text into interchanges and segments, with delimiters read from each ISA.

Contract:

* Bytes are decoded as UTF-8, falling back to Latin-1 (every byte is one
  character) so names in legacy 8-bit encodings survive; a leading UTF-8
  byte-order mark and whitespace before the ISA are ignored.
* Each interchange brings its own delimiters: the element separator is the
  byte after ``ISA``; the ISA is read by counting 16 element separators, not by
  fixed offsets, so the non-padded ISAs seen in real files are accepted;
  ISA16 is the component separator and the character right after it the
  segment terminator. An empty ISA16 (the terminator follows ISA15's
  separator directly) is recognised too. ISA11 is the repetition separator
  from version 00501 on.
* Whitespace around segments (CR/LF after terminators, blank lines, tab
  indentation) is ignored; a line break *inside* a segment is an error (it
  almost always means a missing terminator).
* Delimiters must be single ASCII non-alphanumeric characters, distinct from
  each other. Anything else raises :class:`EnvelopeError`, which is the only
  exception this module raises.

The work is done with ``str.split`` on whole interchanges; no per-character
loops, no regular expressions per segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.edi.errors import EnvelopeError

WHITESPACE = " \t\r\n\x0b\x0c"
LINE_BREAKS = "\r\n"
ISA_ELEMENT_COUNT = 16
# ISA01..ISA08 maximum lengths once padding is stripped; longer means the ISA
# is shifted (an element missing or one too many).
_ISA_MAX_LENGTHS = {1: 2, 2: 10, 3: 2, 4: 10, 5: 2, 6: 15, 7: 2, 8: 15}
REPETITION_FROM_VERSION = "00501"
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


@dataclass
class InterchangeText:
    """One interchange as text: its ISA elements and the normalized text after it.

    ``body`` holds the segments after the ISA (IEA included when present),
    separated by exactly ``joint`` -- the terminator, plus the CR/LF after it
    when the file puts one after every terminator -- with no blank segments
    and no whitespace around them. ``first_position`` is the file position of
    the ISA (1-based); the k-th segment of ``body`` is at
    ``first_position + 1 + k``.
    """

    number: int
    delimiters: Delimiters
    isa: list[str]
    body: str
    joint: str
    first_position: int

    @property
    def segments(self) -> list[str]:
        return self.body.split(self.joint) if self.body else []


def decode(data: bytes | str) -> str:
    """Text of an X12 file: UTF-8 (or Latin-1 when not UTF-8), without a BOM."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text[1:] if text.startswith("\ufeff") else text


def tokenize(data: bytes | str) -> list[list[str]]:
    """Every segment of every interchange, each a list ``[id, element1, ...]``."""
    segments: list[list[str]] = []
    for interchange in split_interchanges(decode(data)):
        segments.append(interchange.isa)
        element = interchange.delimiters.element
        segments.extend(text.split(element) for text in interchange.segments)
    return segments


def split_interchanges(text: str) -> Iterator[InterchangeText]:
    """Yield the interchanges of ``text`` in file order (lazily: errors in file order)."""
    start = _skip_whitespace(text, 0)
    number, position = 1, 1
    if start >= len(text):
        _no_isa(text, start, number, position)
    while start < len(text):
        isa, delimiters, body_start = read_isa(text, start, number, position)
        end = _interchange_end(text, body_start, delimiters)
        body, joint, count = normalize(text[body_start:end], delimiters, isa[13], position + 1)
        yield InterchangeText(number, delimiters, isa, body, joint, position)
        position += 1 + count
        number += 1
        start = _skip_whitespace(text, end)


def read_isa(text: str, start: int, number: int, position: int):
    """Read the ISA at ``start``: ``(isa elements, Delimiters, index after its terminator)``."""
    if not text.startswith("ISA", start):
        _no_isa(text, start, number, position)
    control_number = None  # ISA13 once it is known to be readable

    def fail(detail: str, element: str | None = None) -> None:
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
    if not _is_delimiter(separator) or separator in LINE_BREAKS:
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
    if component and (not _is_delimiter(component) or component in (separator, terminator)):
        fail(f"component separator {component!r} is not a distinct ASCII delimiter", "ISA16")
    if not _is_delimiter(terminator) or terminator == separator:
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
    begin = _skip_whitespace(text, at)
    end = text.find("\n", begin)
    line = text[begin : len(text) if end < 0 else end]
    return bool(line) and line.rstrip(" \t\r").endswith(char)


def _repetition(elements, separator, component, terminator, fail) -> str:
    mark = elements[11]
    if elements[12] < REPETITION_FROM_VERSION or mark.isalnum():
        return ""
    if not _is_delimiter(mark) or mark in (separator, component, terminator):
        fail(f"repetition separator {mark!r} is not a distinct ASCII delimiter", "ISA11")
    return mark


def _interchange_end(text: str, begin: int, delimiters: Delimiters) -> int:
    """Index just after the terminator of this interchange's IEA (or end of text)."""
    tag = "IEA" + delimiters.element
    found = text.find(tag, begin)
    while found >= 0:
        before = found - 1
        while before >= begin and text[before] in WHITESPACE and text[before] != delimiters.segment:
            before -= 1
        if before < begin or text[before] == delimiters.segment:
            end = text.find(delimiters.segment, found)
            return len(text) if end < 0 else end + 1
        found = text.find(tag, found + 1)
    return len(text)


def normalize(body: str, delimiters: Delimiters, label: str, first: int) -> tuple[str, str, int]:
    """``(text, joint, segment count)``: the segments of ``body`` separated by ``joint``.

    A uniformly laid out file (``~`` or ``~`` + newline everywhere, no stray
    whitespace) is checked with a few C-level scans and kept as it is;
    anything else is split, stripped and joined again on the terminator. A
    line break inside a segment raises ``EnvelopeError``.
    """
    terminator = delimiters.segment
    used = delimiters.characters()
    strip = "".join(char for char in WHITESPACE if char not in used)
    body = body.strip(strip)
    if body.endswith(terminator):
        body = body[:-1].rstrip(strip)
    count = body.count(terminator)
    joint = _joint(body, terminator, count)
    if _is_uniform(body, joint, count, strip):
        return body, joint, count + 1 if body else 0
    segments = [segment for raw in body.split(terminator) if (segment := raw.strip(strip))]
    _reject_line_breaks(segments, delimiters, label, first)
    return terminator.join(segments), terminator, len(segments)


def _is_uniform(body: str, joint: str, count: int, strip: str) -> bool:
    """No whitespace around segments, no blank segment, every CR/LF inside a joint."""
    if not body:
        return True
    if (joint + joint) in body:  # a blank segment
        return False
    for char in strip:
        if char not in body:  # one memchr: most whitespace never occurs
            continue
        if char in joint:
            if body.count(char) != count * joint.count(char):
                return False
        elif char in LINE_BREAKS or (joint + char) in body or (char + joint) in body:
            return False
    return True


def _joint(body: str, terminator: str, count: int) -> str:
    """What separates segments: the terminator, with the CR/LF after it when every one has it.

    Splitting on ``~\n`` at once spares stripping a newline off every segment.
    """
    if terminator == "\n":
        candidates = ("\r\n",)
    elif terminator in LINE_BREAKS:
        candidates = ()
    else:
        candidates = (terminator + "\r\n", terminator + "\n")
    for candidate in candidates:
        if count and candidate[-1] in body and body.count(candidate) == count:
            return candidate
    return terminator


def _reject_line_breaks(segments, delimiters: Delimiters, label: str, first: int) -> None:
    """A line break left inside a segment means a terminator is missing."""
    breaks = [char for char in LINE_BREAKS if char not in delimiters.characters()]
    for index, segment in enumerate(segments):
        if any(char in segment for char in breaks):
            elements = segment.split(delimiters.element)
            element = next(k for k, value in enumerate(elements) if any(c in value for c in breaks))
            name = segment_label(elements[0])
            raise EnvelopeError(
                f"line break inside the segment: is a segment terminator "
                f"{delimiters.segment!r} missing?",
                interchange=label,
                interchange_control_number=label,
                position=first + index,
                segment_id=name,
                element=f"{name}{element:02d}" if element else None,
            )


def segment_label(raw_id: str) -> str:
    """A segment id fit for a message: the id itself, or a short repr of junk."""
    if 2 <= len(raw_id) <= 3 and raw_id.isascii() and raw_id.isalnum():
        return raw_id
    return repr(raw_id[:12])


def _no_isa(text: str, start: int, number: int, position: int) -> None:
    found = text[start : start + 24]
    detail = (
        "no ISA: the data is empty"
        if not found
        else f"no ISA: the data starts with {found!r} instead of an ISA interchange header"
    )
    raise EnvelopeError(detail, interchange=str(number), position=position, segment_id="ISA")


def _skip_whitespace(text: str, at: int) -> int:
    return _LEADING_WHITESPACE.match(text, at).end()


def _is_delimiter(char: str) -> bool:
    return len(char) == 1 and char.isascii() and not char.isalnum() and char != " "


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()
