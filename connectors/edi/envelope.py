"""Interchanges, functional groups and transaction sets, read and validated.

``read_interchanges(data) -> list[Interchange]`` is the entry point for any
received file. It checks, per interchange:

* pairing: ISA/IEA, GS/GE, ST/SE, in that nesting, nothing outside a set;
* counts: SE01 = segments from ST to SE inclusive, GE01 = sets in the group,
  IEA01 = groups in the interchange;
* control numbers: ISA13 = IEA02, GS06 = GE02, ST02 = SE02. They are compared
  as numbers when both sides are all digits, because partners drop the zero
  padding (``IEA*1*3438`` closing ``ISA13 000003438``), and as text otherwise;
* unique control numbers, compared the same way: ISA13 within the file, GS06
  within its interchange, ST02 within its group. The error is raised at the
  second one and names the segment of the first;
* the shape of the envelope elements (dates, times, numbers).

A TA1 (interchange acknowledgment) is refused as "TA1 not supported", naming
what it acknowledges: nothing here reads it, and an interchange that carried
only TA1s would otherwise be "applied" with nothing in it.

The first problem raises :class:`EnvelopeError` naming the interchange, the
segment position in the file, the segment id and the element. Whatever the
bytes, no other exception escapes. A wrong SE01/SE02 is an envelope error
too, so one miscounted set refuses the whole file: its segments cannot be
trusted to belong where they seem to. The content of the sets is not judged
here: document readers (``read_945``...) do that per set, and
``read_group``/``build_997`` turn their verdicts into a 997.

Dataclasses the fulfillment app stores (plain values, safe to keep):

* ``Interchange``: control_number (ISA13 as sent), sender_qualifier,
  sender_id, receiver_qualifier, receiver_id (padding stripped),
  prepared_at (datetime, ISA09/ISA10), version (ISA12), is_test (ISA15 = T),
  ack_requested (ISA14), delimiters, groups, position.
* ``FunctionalGroup``: functional_id (GS01, e.g. SW for 945), application
  sender/receiver (GS02/GS03), prepared_at, control_number (GS06), agency
  (GS07), version (GS08, e.g. 004010), transaction_sets, position.
* ``TransactionSet``: code (ST01), control_number (ST02),
  implementation_reference (ST03, 5010), text (ST..SE as received, segments
  separated by ``joint``; ``segments``/``elements()`` split it), delimiters,
  position (file position of ST), segment_count, plus the enclosing
  version, interchange and group control numbers so a set can be read on
  its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn

from connectors.edi.control_numbers import count_distinct, repeated, same_control_number
from connectors.edi.errors import EnvelopeError
from connectors.edi.isa import LINE_BREAKS
from connectors.edi.tokenizer import (
    Delimiters,
    InterchangeText,
    decode,
    segment_label,
    split_interchanges,
)


@dataclass
class TransactionSet:
    code: str
    control_number: str
    text: str
    joint: str
    delimiters: Delimiters
    position: int
    segment_count: int
    version: str = ""
    implementation_reference: str = ""
    interchange_control_number: str = ""
    group_control_number: str = ""

    @property
    def segments(self) -> list[str]:
        """The segment texts from ST to SE (one split of ``text`` on ``joint``)."""
        return self.text.split(self.joint)

    def elements(self) -> list[list[str]]:
        """Each segment split into ``[id, element1, element2, ...]``."""
        separator = self.delimiters.element
        return [segment.split(separator) for segment in self.segments]


@dataclass
class FunctionalGroup:
    functional_id: str
    application_sender: str
    application_receiver: str
    prepared_at: datetime
    control_number: str
    agency: str
    version: str
    position: int
    transaction_sets: list[TransactionSet] = field(default_factory=list)


@dataclass
class Interchange:
    control_number: str
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    prepared_at: datetime
    version: str
    is_test: bool
    ack_requested: bool
    delimiters: Delimiters
    position: int
    groups: list[FunctionalGroup] = field(default_factory=list)


def read_interchanges(data: bytes | str) -> list[Interchange]:
    """Every interchange of the file, validated; raises only ``EnvelopeError``."""
    return list(iter_interchanges(data))


def iter_interchanges(data: bytes | str) -> Iterator[Interchange]:
    """Like :func:`read_interchanges`, one interchange at a time."""
    seen: dict[object, int] = {}  # ISA13 (as a number) -> position of its ISA
    for text in split_interchanges(decode(data)):
        earlier = repeated(seen, text.isa[13], text.first_position)
        if earlier is not None:
            raise EnvelopeError(
                f"duplicate control number {text.isa[13]}: "
                f"the interchange at segment {earlier} has it too",
                interchange=text.isa[13],
                interchange_control_number=text.isa[13],
                position=text.first_position,
                segment_id="ISA",
                element="ISA13",
            )
        yield _EnvelopeReader(text).read()


ENVELOPE_TAGS = ("ISA", "IEA", "GS", "GE", "ST", "SE")


class _EnvelopeReader:
    """Walks one interchange, visiting only envelope segments.

    The body between ST and SE is never split here: ``str.find`` locates the
    SE and ``str.count`` of the joints checks SE01 -- C-level scans, which is
    what keeps reading fast on large files. An ST, GS, GE... between ST and SE
    (a lost SE trailer) always shows as a wrong SE01 or a missing SE; only
    then is the set searched for it, to name it in the error.
    """

    def __init__(self, text: InterchangeText):
        self.text = text
        self.body = text.body
        self.joint = text.joint
        self.element = text.delimiters.element
        self.base = text.first_position + 1
        self.label = text.isa[13]
        self.se_mark = self.joint + "SE" + self.element
        self.envelope_mark = re.compile(
            re.escape(self.joint) + "(ST|GS|GE|IEA|ISA)" + re.escape(self.element)
        )
        self.index = 0  # index in the body of the segment starting at ``offset``
        self.offset = 0 if self.body else 1  # past the end of the body: no more segments
        self.group_numbers: dict[object, int] = {}  # GS06 -> position, in this interchange

    def read(self) -> Interchange:
        isa = self.text.isa
        interchange = Interchange(
            control_number=isa[13],
            sender_qualifier=isa[5].strip(),
            sender_id=isa[6].strip(),
            receiver_qualifier=isa[7].strip(),
            receiver_id=isa[8].strip(),
            prepared_at=self._isa_timestamp(isa[9], isa[10]),
            version=isa[12],
            is_test=isa[15] == "T",
            ack_requested=isa[14] == "1",
            delimiters=self.text.delimiters,
            position=self.text.first_position,
        )
        if not self.body:
            self._isa_alone()
        while True:
            if self._at_end():
                self._fail_at_end("IEA", f"interchange {self.label} has no IEA trailer")
            elements, end = self._current()
            if elements[0] == "GS":
                interchange.groups.append(self._group(elements, end))
            elif elements[0] == "IEA":
                self._check_iea(elements, len(interchange.groups))
                self._advance(end)
                break
            else:
                self._outside(elements, "where a GS or the IEA belongs")
        if not self._at_end():
            self._outside(self._current()[0], f"after the IEA of interchange {self.label}")
        return interchange

    def _group(self, gs: list[str], end: int) -> FunctionalGroup:
        self._require(gs, 8)
        if not _digits(gs[6]) or len(gs[6]) > 9:
            self._fail("GS", f"group control number {gs[6]!r} is not 1 to 9 digits", "GS06")
        group = FunctionalGroup(
            functional_id=gs[1],
            application_sender=gs[2],
            application_receiver=gs[3],
            prepared_at=self._gs_timestamp(gs[4], gs[5]),
            control_number=gs[6],
            agency=gs[7],
            version=gs[8],
            position=self.base + self.index,
        )
        earlier = repeated(self.group_numbers, gs[6], group.position)
        if earlier is not None:
            detail = f"duplicate control number {gs[6]}: the group at segment {earlier} has it too"
            self._fail("GS", detail, "GS06")
        self._advance(end)
        sets, body, joint, separator = group.transaction_sets, self.body, self.joint, self.element
        while True:
            if self.offset > len(body):
                self._fail_at_end("GE", f"functional group {gs[6]} has no GE trailer")
            # _current() inlined: this runs once per transaction set
            end = body.find(joint, self.offset)
            if end < 0:
                end = len(body)
            elements = body[self.offset : end].split(separator)
            if elements[0] == "ST":
                sets.append(self._set(elements, group))
            elif elements[0] == "GE":
                self._check_ge(elements, group)
                self._advance(end)
                return group
            else:
                self._outside(elements, f"inside functional group {gs[6]}")

    def _set(self, st: list[str], group: FunctionalGroup) -> TransactionSet:
        # Runs once per set on files of millions of segments: the common case is
        # checked inline and the helpers that build error messages run on failure only.
        if len(st) < 3 or not st[1] or not st[2]:
            self._require(st, 2)
        body, joint, start, first = self.body, self.joint, self.offset, self.index
        se_joint = body.find(self.se_mark, start)
        if se_joint < 0:
            self._no_trailer(st, first, start)
        se_start = se_joint + len(joint)
        count = body.count(joint, start, se_start) + 1
        self.index, self.offset = first + count - 1, se_start
        se_end = body.find(joint, se_start)
        if se_end < 0:
            se_end = len(body)
        se = body[se_start:se_end].split(self.element)
        if len(se) < 3 or not se[1] or not se[2]:
            self._require(se, 2)
        if se[1] != str(count) or se[2] != st[2]:
            # A GS, GE, ST... between ST and SE (a lost SE) shows first as a wrong
            # count or control number: name it rather than the SE it hides behind.
            self._no_trailer(st, first, start, se_joint)
            if not same_control_number(se[2], st[2]):
                self._fail("SE", f"control number {se[2]} does not match ST02 {st[2]}", "SE02")
            self._check_count("SE01", se[1], count, "segments from ST to SE")
        self.index += 1
        self.offset = se_end + len(joint)
        return TransactionSet(
            st[1],
            st[2],
            body[start:se_end],
            joint,
            self.text.delimiters,
            self.base + first,
            count,
            group.version,
            st[3] if len(st) > 3 else "",
            self.label,
            group.control_number,
        )

    def _no_trailer(self, st: list[str], first: int, start: int, limit: int | None = None) -> None:
        """Fail when an envelope segment other than the SE follows the ST before ``limit``."""
        found = self.envelope_mark.search(
            body := self.body, start, len(body) if limit is None else limit
        )
        if found is None and limit is None:
            self._fail_at_end("SE", f"transaction set {st[2]} ({st[1]}) has no SE trailer")
        if found is not None and found.group(1) != "SE":
            self._jump(first, start, found.start())
            detail = f"transaction set {st[2]} ({st[1]}) has no SE trailer before this"
            self._fail(found.group(1), detail)

    def _check_ge(self, ge: list[str], group: FunctionalGroup) -> None:
        self._check_set_numbers(group)
        self._require(ge, 2)
        if not same_control_number(ge[2], group.control_number):
            detail = f"control number {ge[2]} does not match GS06 {group.control_number}"
            self._fail("GE", detail, "GE02")
        count = len(group.transaction_sets)
        self._check_count("GE01", ge[1], count, "transaction sets in the group")

    def _check_set_numbers(self, group: FunctionalGroup) -> None:
        """ST02 unique in the group: checked once, when its GE is reached, off the per-set path.

        So a problem later in the same group (a wrong SE01) is reported before a
        duplicate that comes earlier in it.
        """
        sets = group.transaction_sets
        if count_distinct([ts.control_number for ts in sets]) == len(sets):
            return
        seen: dict[object, int] = {}
        for ts in sets:
            earlier = repeated(seen, ts.control_number, ts.position)
            if earlier is not None:
                detail = (
                    f"duplicate control number {ts.control_number}: the set at segment "
                    f"{earlier} of group {group.control_number} has it too"
                )
                self._fail("ST", detail, "ST02", at=ts.position)

    def _check_iea(self, iea: list[str], groups: int) -> None:
        self._require(iea, 2)
        if not same_control_number(iea[2], self.label):
            self._fail("IEA", f"control number {iea[2]} does not match ISA13 {self.label}", "IEA02")
        self._check_count("IEA01", iea[1], groups, "functional groups in the interchange")

    def _check_count(self, element: str, sent: str, actual: int, what: str) -> None:
        if not _digits(sent):
            self._fail(element[:-2], f"count {sent!r} is not a number", element)
        if int(sent) != actual:
            self._fail(element[:-2], f"count {sent} does not match the {actual} {what}", element)

    # -- moving through the body -------------------------------------------

    def _at_end(self) -> bool:
        return self.offset > len(self.body)

    def _current(self) -> tuple[list[str], int]:
        """Elements of the segment at the cursor, and the offset where it ends."""
        end = self.body.find(self.joint, self.offset)
        if end < 0:
            end = len(self.body)
        return self.body[self.offset : end].split(self.element), end

    def _advance(self, end: int) -> None:
        self.index += 1
        self.offset = end + len(self.joint)

    def _jump(self, index: int, offset: int, joint_offset: int) -> None:
        """Move the cursor to the segment after the joint at ``joint_offset``."""
        self.index = index + self.body.count(self.joint, offset, joint_offset + len(self.joint))
        self.offset = joint_offset + len(self.joint)

    # -- failing -----------------------------------------------------------

    def _outside(self, elements: list[str], where: str) -> NoReturn:
        tag = elements[0]
        if tag in ENVELOPE_TAGS:
            self._fail(tag, f"unexpected {tag} segment {where}")
        if tag == "TA1":
            self._fail(tag, _ta1_not_supported(elements))
        name = segment_label(tag)
        self._fail(name, f"segment {name} is outside any transaction set ({where})")

    def _isa_alone(self) -> NoReturn:
        """Nothing after the ISA: say so, and suspect the terminator when it is a line break."""
        detail = (
            f"interchange {self.label} is an ISA alone: "
            "no GS and no IEA trailer follow it (end of data)"
        )
        if self.text.delimiters.segment in LINE_BREAKS:
            detail += "; is the segment terminator after ISA16 missing?"
        raise EnvelopeError(
            detail,
            interchange=self.label,
            interchange_control_number=self.label,
            position=self.base,
            segment_id="IEA",
        )

    def _require(self, elements: list[str], count: int) -> None:
        tag = elements[0]
        for position in range(1, count + 1):
            if position >= len(elements) or not elements[position].strip():
                self._fail(tag, "mandatory element is missing", f"{tag}{position:02d}")

    def _isa_timestamp(self, date: str, time: str) -> datetime:
        try:
            return datetime.strptime(date + time, "%y%m%d%H%M")
        except ValueError:
            raise EnvelopeError(
                f"{date} {time} is not a valid date and time",
                interchange=self.label,
                interchange_control_number=self.label,
                position=self.text.first_position,
                segment_id="ISA",
                element="ISA09",
            ) from None

    def _gs_timestamp(self, date: str, time: str) -> datetime:
        formats = {6: "%y%m%d", 8: "%Y%m%d"}
        if len(date) not in formats or not _digits(date):
            self._fail("GS", f"{date!r} is not a date CCYYMMDD", "GS04")
        if len(time) not in (4, 6, 7, 8) or not _digits(time):
            self._fail("GS", f"{time!r} is not a time HHMM[SS[dd]]", "GS05")
        try:
            day = datetime.strptime(date, formats[len(date)])
        except ValueError:
            self._fail("GS", f"{date} is not a valid date", "GS04")
        hour, minute, second = int(time[0:2]), int(time[2:4]), int(time[4:6] or 0)
        if hour > 23 or minute > 59 or second > 59:
            self._fail("GS", f"{time} is not a valid time", "GS05")
        return day.replace(hour=hour, minute=minute, second=second)

    def _fail(
        self, segment_id: str, detail: str, element: str | None = None, at: int | None = None
    ) -> NoReturn:
        """Raise for the segment at the cursor, or at file position ``at``."""
        raise EnvelopeError(
            detail,
            interchange=self.label,
            interchange_control_number=self.label,
            position=self.base + self.index if at is None else at,
            segment_id=segment_id,
            element=element,
        )

    def _fail_at_end(self, expected: str, detail: str) -> NoReturn:
        segments = self.body.count(self.joint) + 1 if self.body else 0
        raise EnvelopeError(
            f"{detail} (end of data)",
            interchange=self.label,
            interchange_control_number=self.label,
            position=self.base + segments,
            segment_id=expected,
        )


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


TA1_CODES = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}


def _ta1_not_supported(ta1: list[str]) -> str:
    """``TA1 not supported: this interchange acknowledgment says interchange 905 was rejected
    (TA104 R, TA105 022)``: what an operator needs to follow it up by hand."""
    ta1 = ta1 + [""] * (6 - len(ta1))
    number, code, note = (value.strip() for value in (ta1[1], ta1[4], ta1[5]))
    verdict = TA1_CODES.get(code, "answered")
    return (
        f"TA1 not supported: this interchange acknowledgment says interchange "
        f"{number or '?'} was {verdict} (TA104 {code or '-'}, TA105 {note or '-'})"
    )
