"""Split X12 text into interchanges and segments, with delimiters read from each ISA.

Contract:

* Bytes are decoded as UTF-8, falling back to Latin-1 (every byte is one
  character) so names in legacy 8-bit encodings survive; a leading UTF-8
  byte-order mark and whitespace before the ISA are ignored.
* Each interchange brings its own delimiters, read from its ISA by
  :mod:`connectors.edi.isa` (16 separators counted, not fixed offsets; empty
  ISA16 recognised; ISA11 the repetition separator from 00501 on).
* Whitespace around segments (CR/LF after terminators, blank lines, tab
  indentation) is ignored; a line break *inside* a segment is an error (it
  almost always means a missing terminator).
* Anything else raises :class:`EnvelopeError`, the only exception here.

The work is done with C-level string operations (``split``, ``count``,
``find``) on whole interchanges: no per-character loops, no regular
expressions per segment. A uniformly laid out interchange is not even
copied segment by segment (see :func:`normalize`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connectors.edi.errors import EnvelopeError
from connectors.edi.isa import (
    LINE_BREAKS,
    REPETITION_FROM_VERSION,
    WHITESPACE,
    Delimiters,
    no_isa,
    read_isa,
    skip_whitespace,
)

__all__ = [
    "REPETITION_FROM_VERSION",
    "Delimiters",
    "InterchangeText",
    "decode",
    "normalize",
    "segment_label",
    "split_interchanges",
    "tokenize",
]


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
    start = skip_whitespace(text, 0)
    number, position = 1, 1
    if start >= len(text):
        no_isa(text, start, number, position)
    while start < len(text):
        isa, delimiters, body_start = read_isa(text, start, number, position)
        end = _interchange_end(text, body_start, delimiters)
        body, joint, count = normalize(text[body_start:end], delimiters, isa[13], position + 1)
        yield InterchangeText(number, delimiters, isa, body, joint, position)
        position += 1 + count
        number += 1
        start = skip_whitespace(text, end)


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
