"""Split X12 text into interchanges and segments, with delimiters read from each ISA.

Contract:

* Bytes are decoded as UTF-8, falling back to Latin-1 (every byte is one
  character) so names in legacy 8-bit encodings survive; a leading UTF-8
  byte-order mark and whitespace before the ISA are ignored, and so is one
  Ctrl-Z end-of-file mark (0x1A, from DOS-era tools) after the last
  interchange. A file that starts with ``ISA`` in EBCDIC is refused as such.
* Each interchange brings its own delimiters, read from its ISA by
  :mod:`connectors.edi.isa` (16 separators counted, not fixed offsets; empty
  ISA16 recognised; ISA11 the repetition separator from 00501 on).
* Whitespace around segments (CR/LF after terminators, blank lines, tab
  indentation) is ignored; a line break *inside* a segment is an error (it
  almost always means a missing terminator).
* The segment terminator is the character after ISA16 and must then end the
  other segments too: see :func:`check_terminator` for a line break as the
  terminator (accepted) and for a missing one (refused, said as such).
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
    is_delimiter,
    no_isa,
    read_isa,
    skip_whitespace,
)

END_OF_FILE = "\x1a"  # Ctrl-Z, which DOS-era tools append to text files

__all__ = [
    "REPETITION_FROM_VERSION",
    "Delimiters",
    "InterchangeText",
    "check_terminator",
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
    limit = _end_of_data(text)
    start = skip_whitespace(text, 0)
    number, position = 1, 1
    if start >= limit:
        no_isa(text, start, number, position)
    while start < limit:
        isa, delimiters, body_start = read_isa(text, start, number, position)
        end = _interchange_end(text, body_start, limit, delimiters)
        check_terminator(text, body_start, end, delimiters, isa[13], position)
        body, joint, count = normalize(text[body_start:end], delimiters, isa[13], position + 1)
        yield InterchangeText(number, delimiters, isa, body, joint, position)
        position += 1 + count
        number += 1
        start = skip_whitespace(text, end)


def _end_of_data(text: str) -> int:
    """``len(text)``, or the index of a Ctrl-Z that only whitespace follows.

    Only the tail is looked at, so a large file is neither scanned nor copied.
    """
    tail = text[-64:]
    kept = tail.rstrip(WHITESPACE)
    if kept.endswith(END_OF_FILE):
        return len(text) - len(tail) + len(kept) - 1
    return len(text)


def _interchange_end(text: str, begin: int, limit: int, delimiters: Delimiters) -> int:
    """Index just after the terminator of this interchange's IEA (or ``limit``, the end of data)."""
    tag = "IEA" + delimiters.element
    found = text.find(tag, begin, limit)
    while found >= 0:
        before = found - 1
        while before >= begin and text[before] in WHITESPACE and text[before] != delimiters.segment:
            before -= 1
        if before < begin or text[before] == delimiters.segment:
            end = text.find(delimiters.segment, found, limit)
            return limit if end < 0 else end + 1
        found = text.find(tag, found + 1, limit)
    return limit


def check_terminator(
    text: str, begin: int, end: int, delimiters: Delimiters, label: str, position: int
) -> None:
    """Refuse an interchange whose segment terminator is missing, naming ISA16.

    ``text[begin:end]`` is what follows the ISA. The terminator is the
    character after ISA16 (after ISA15's separator when ISA16 is left empty)
    and is accepted when the segments after the ISA end with it too:

    * A line break as the terminator is accepted: real files do that (one
      segment per line, no ``~``). But when the GS after the ISA and the IEA
      closing it both end with another delimiter (``GS*...*004010~``,
      ``IEA*1*905~``: a version and a number never end so), the ISA lost its
      own ``~``, and reading on would put ``~`` into every last element and
      fail later on a control number: that is reported instead.
    * A terminator that never occurs after the ISA means the segments run
      together (``...*P*>GS*SW*...``: the ``>`` is ISA16 and what follows it
      is the GS), and is reported rather than the GE or IEA later found
      missing. One IEA alone may lack its final terminator.
    * Nothing after the ISA is left to the envelope reader ("an ISA alone").

    Runs once per interchange: one ``find`` and, for a line break, two short
    backward scans.
    """
    first = skip_whitespace(text, begin)
    if first >= end:
        return
    found = text.find(delimiters.segment, first, end)
    if found < 0:
        detail = _never_terminated(text, begin, first, delimiters)
    else:
        detail = _terminated_by_line_break_alone(text, first, found, end, delimiters)
    if detail:
        raise EnvelopeError(
            detail,
            interchange=label,
            interchange_control_number=label,
            position=position,
            segment_id="ISA",
            element="ISA16",
        )


def _never_terminated(text: str, begin: int, first: int, delimiters: Delimiters) -> str:
    """What to say when no terminator follows the ISA ('' for one IEA alone: that may lack it)."""
    terminator = delimiters.segment
    if text.startswith("IEA" + delimiters.element, first):
        return ""
    if terminator in LINE_BREAKS:
        return (
            "segment terminator missing: a line break ends the ISA but none follows it, "
            "so the segments after it run together (is the ISA's own terminator missing?)"
        )
    if not delimiters.component and first == begin and text[first].isalnum():
        return (
            f"segment terminator missing after ISA16 {terminator!r}: the next segment "
            f"starts right after it, and {terminator!r} never occurs again"
        )
    return (
        f"segment terminator missing: {terminator!r} ends the ISA but never occurs "
        "after it, so the segments after it run together"
    )


def _terminated_by_line_break_alone(
    text: str, first: int, found: int, end: int, delimiters: Delimiters
) -> str:
    """A line break ends the ISA, but a GS and IEA ending with the same delimiter follow it."""
    if delimiters.segment not in LINE_BREAKS or not text.startswith(
        "GS" + delimiters.element, first
    ):
        return ""
    mark = text[_stripped_end(text, first, found) - 1]
    stop = _stripped_end(text, first, end)
    last = skip_whitespace(text, max(first, text.rfind(delimiters.segment, first, stop) + 1))
    if (
        not is_delimiter(mark)
        or mark in delimiters.characters()
        or text[stop - 1] != mark
        or not text.startswith("IEA" + delimiters.element, last)
    ):
        return ""
    return (
        f"segment terminator missing on the ISA: it ends at a line break, but the "
        f"segments after it end with {mark!r}"
    )


def _stripped_end(text: str, begin: int, end: int) -> int:
    """``end`` moved back over whitespace, not before ``begin``."""
    while end > begin and text[end - 1] in WHITESPACE:
        end -= 1
    return end


def normalize(body: str, delimiters: Delimiters, label: str, first: int) -> tuple[str, str, int]:
    """``(text, joint, segment count)``: the segments of ``body`` separated by ``joint``.

    A uniformly laid out file (``~`` or ``~`` + newline everywhere, no stray
    whitespace) is checked with a few C-level scans and kept as it is;
    anything else is split, stripped and joined again on the terminator. A
    line break inside a segment raises ``EnvelopeError``. With a line break as
    the terminator, blank lines before the first and after the last segment
    are whitespace too (not empty segments).
    """
    terminator = delimiters.segment
    used = delimiters.characters()
    strip = "".join(char for char in WHITESPACE if char not in used)
    body = body.strip(strip + terminator if terminator in WHITESPACE else strip)
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
