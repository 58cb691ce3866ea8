"""997 Functional Acknowledgment: build, write and read.

* ``build_997(group, results) -> FunctionalAck`` acknowledges a received
  functional group from the per-set outcomes (``read_group``): AK1, then per
  set AK2 + AK5 (A accepted, R rejected with AK3/AK4 naming each failing
  segment -- id and position in the set -- and element -- position, error
  code, bad data), then AK9 (A all accepted, P some, R none). Its ``version``
  is the acknowledged group's GS08, and ``write_997`` puts that version on
  the 997's own GS08/ISA12, as partners expect.
* ``write_997(ack, envelope) -> bytes``: one interchange, one group (GS01
  ``FA``), one 997.
* ``read_997(transaction_set) -> FunctionalAck``: what a warehouse says about
  our 940s; ``read_997(write_997(ack)...) == ack``. Its AK9 counts must agree
  with its AK5s (see :func:`_count_problem`), else the 997 is refused naming
  the AK9 element.

Dataclasses:

* ``FunctionalAck``: functional_id (AK101), group_control_number (AK102),
  version (GS08 of the group; AK103 in 5010), status (AK901), sets_included,
  sets_received, sets_accepted (AK902-904), error_codes (AK905..),
  set_acks.
* ``SetAck``: set_code (AK201), control_number (AK202),
  implementation_reference (AK203, 5010), status (AK501), error_codes
  (AK502..), segment_notes (AK3 with their AK4 ``ElementNote``s).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.edi.envelope import FunctionalGroup, TransactionSet
from connectors.edi.errors import ElementNote, ElementSyntax, SegmentNote, SegmentSyntax
from connectors.edi.segment_reader import (
    missing_segment,
    need,
    noted,
    out_of_place,
    padded,
    raise_for_notes,
    walk_set,
    whole_number,
)
from connectors.edi.writer import Envelope, Segment, write_interchange

FUNCTIONAL_ID = "FA"
ACCEPTED, REJECTED, PARTIALLY_ACCEPTED = "A", "R", "P"
AK103_FROM_VERSION = "00501"


@dataclass
class SetAck:
    set_code: str
    control_number: str
    status: str = ACCEPTED
    error_codes: tuple[str, ...] = ()
    segment_notes: tuple[SegmentNote, ...] = ()
    implementation_reference: str = ""

    @property
    def is_accepted(self) -> bool:
        return self.status in (ACCEPTED, "E")


@dataclass
class FunctionalAck:
    functional_id: str
    group_control_number: str
    version: str
    status: str
    sets_included: int
    sets_received: int
    sets_accepted: int
    set_acks: tuple[SetAck, ...] = ()
    error_codes: tuple[str, ...] = ()

    @property
    def accepts_unlisted_sets(self) -> bool:
        """Whether a set without an AK2 of its own is accepted: when its group is (AK901 A or E)."""
        return self.status in (ACCEPTED, "E")


def build_997(group: FunctionalGroup, results: Sequence) -> FunctionalAck:
    """Acknowledge ``group`` from its ``SetResult``s (``read_group``), in set order."""
    set_acks = tuple(_set_ack(result) for result in results)
    accepted = sum(1 for ack in set_acks if ack.is_accepted)
    if accepted == len(set_acks):
        status = ACCEPTED
    else:
        status = REJECTED if accepted == 0 else PARTIALLY_ACCEPTED
    return FunctionalAck(
        functional_id=group.functional_id,
        group_control_number=group.control_number,
        version=group.version,
        status=status,
        sets_included=len(group.transaction_sets),
        sets_received=len(results),
        sets_accepted=accepted,
        set_acks=set_acks,
    )


def _set_ack(result) -> SetAck:
    ts: TransactionSet = result.transaction_set
    reference = ts.implementation_reference if ts.version[:5] >= AK103_FROM_VERSION else ""
    if result.error is None:
        return SetAck(ts.code, ts.control_number, implementation_reference=reference)
    return SetAck(
        ts.code,
        ts.control_number,
        REJECTED,
        result.error.set_error_codes,
        result.error.notes,
        reference,
    )


def write_997(ack: FunctionalAck, envelope: Envelope) -> bytes:
    """The 997 as an interchange whose GS08 is the acknowledged group's version."""
    envelope = dataclasses.replace(envelope, version=ack.version)
    return write_interchange(envelope, FUNCTIONAL_ID, [("997", ack_segments(ack))])


def ack_segments(ack: FunctionalAck) -> list[Segment]:
    """The body of one 997 (without ST/SE)."""
    ak1: Segment = ["AK1", ack.functional_id, ack.group_control_number]
    if ack.version[:5] >= AK103_FROM_VERSION:
        ak1 = [*ak1, ack.version]
    segments: list[Segment] = [ak1]
    for set_ack in ack.set_acks:
        segments.append(
            ["AK2", set_ack.set_code, set_ack.control_number, set_ack.implementation_reference]
        )
        for note in set_ack.segment_notes:
            segments.append(["AK3", note.segment_id, note.position, note.loop_id, note.error_code])
            segments.extend(_ak4_segment(element) for element in note.elements)
        segments.append(["AK5", set_ack.status, *set_ack.error_codes[:5]])
    segments.append(
        ["AK9", ack.status, ack.sets_included, ack.sets_received, ack.sets_accepted,
         *ack.error_codes[:5]]
    )  # fmt: skip
    return segments


def _ak4_segment(note: ElementNote) -> Segment:
    # AK401 is a composite: element position, then the component position when there is one.
    position = note.position if note.component_position is None else (
        note.position, note.component_position)  # fmt: skip
    return ["AK4", position, note.reference_number, note.error_code, note.bad_value]


@dataclass
class _AckDraft:
    component: str
    ak1: list[str] | None = None
    ak9: list[str] | None = None
    sets: list[dict] = field(default_factory=list)


def read_997(ts: TransactionSet) -> FunctionalAck:
    """The acknowledgment in a 997 set; raises ``DocumentError`` with AK3/AK4 notes."""
    draft = _AckDraft(component=ts.delimiters.component)
    notes = walk_set(ts, _HANDLERS, draft)
    if draft.ak1 is None and not noted(notes, "AK1"):
        notes.append(missing_segment("AK1", 2, "AK1 (functional group response header)"))
    if draft.ak9 is None and not noted(notes, "AK9"):
        notes.append(missing_segment("AK9", ts.segment_count, "AK9 (group response trailer)"))
    if not notes:  # counts mean something only when every AK2 loop and the AK9 were read
        notes.extend(_count_notes(ts, draft))
    raise_for_notes(ts, notes)
    ak1, ak9 = draft.ak1, draft.ak9
    return FunctionalAck(
        functional_id=ak1[1],
        group_control_number=ak1[2],
        version=ak1[3] or ts.version,
        status=ak9[1],
        sets_included=int(ak9[2]),
        sets_received=int(ak9[3]),
        sets_accepted=int(ak9[4]),
        set_acks=tuple(_built_set_ack(values) for values in draft.sets),
        error_codes=tuple(code for code in ak9[5:10] if code),
    )


def _built_set_ack(values: dict) -> SetAck:
    notes = tuple(
        dataclasses.replace(note, elements=tuple(elements)) for note, elements in values["notes"]
    )
    return SetAck(
        values["set_code"],
        values["control_number"],
        values["status"],
        values["error_codes"],
        notes,
        values["implementation_reference"],
    )


def _ak1(draft: _AckDraft, segment: list[str]) -> None:
    s = padded(segment, 4)
    need(s[1], 1, "functional identifier (AK101)")
    need(s[2], 2, "group control number (AK102)")
    draft.ak1 = s


def _ak2(draft: _AckDraft, segment: list[str]) -> None:
    s = padded(segment, 4)
    draft.sets.append(
        {
            "set_code": need(s[1], 1, "transaction set code (AK201)"),
            "control_number": need(s[2], 2, "set control number (AK202)"),
            "implementation_reference": s[3],
            "status": "",
            "error_codes": (),
            "notes": [],
        }
    )


def _ak3(draft: _AckDraft, segment: list[str]) -> None:
    if not draft.sets:
        out_of_place("AK3 before any AK2")
    s = padded(segment, 5)
    note = SegmentNote(
        segment_id=need(s[1], 1, "segment id (AK301)"),
        position=_count(s[2], 2, "segment position (AK302)"),
        error_code=s[4],
        loop_id=s[3],
    )
    draft.sets[-1]["notes"].append((note, []))


def _ak4(draft: _AckDraft, segment: list[str]) -> None:
    if not draft.sets or not draft.sets[-1]["notes"]:
        out_of_place("AK4 before any AK3")
    s = padded(segment, 5)
    composite = need(s[1], 1, "element position (AK401)")
    parts = padded(composite.split(draft.component) if draft.component else [composite], 2)
    draft.sets[-1]["notes"][-1][1].append(
        ElementNote(
            position=_count(parts[0], 1, "element position (AK401)"),
            error_code=need(s[3], 3, "element error code (AK403)"),
            bad_value=s[4],
            component_position=whole_number(parts[1], 1, "component position (AK401-2)"),
            reference_number=s[2],
        )
    )


def _ak5(draft: _AckDraft, segment: list[str]) -> None:
    if not draft.sets:
        out_of_place("AK5 before any AK2")
    s = padded(segment, 2)
    draft.sets[-1]["status"] = need(s[1], 1, "set acknowledgment code (AK501)")
    draft.sets[-1]["error_codes"] = tuple(code for code in s[2:7] if code)


def _ak9(draft: _AckDraft, segment: list[str]) -> None:
    s = padded(segment, 5)
    need(s[1], 1, "group acknowledgment code (AK901)")
    for index, what in ((2, "sets included"), (3, "sets received"), (4, "sets accepted")):
        _count(s[index], index, f"number of {what} (AK90{index})")
    draft.ak9 = s


# AK501 codes that reject a set; A accepts it. E ("accepted, but errors were noted")
# counts neither way: partners differ on whether AK904 includes those sets.
REJECTING = frozenset({REJECTED, "M", "W", "X"})


def _count_notes(ts: TransactionSet, draft: _AckDraft) -> list[SegmentNote]:
    """The AK3/AK4 for an AK9 whose counts its AK5s contradict (empty when they agree)."""
    problem = _count_problem(draft)
    if problem is None:
        return []
    index, detail = problem
    ak9 = draft.ak9
    # X12 has no AK403 code for a count that contradicts the set; 7 (invalid
    # code value) is the nearest, and the detail says what is wrong.
    element = ElementNote(index, ElementSyntax.INVALID_CODE, ak9[index], detail=detail)
    position = _last_position(ts, "AK9")
    return [
        SegmentNote("AK9", position, SegmentSyntax.HAS_ELEMENT_ERRORS, (element,), detail=detail)
    ]


def _count_problem(draft: _AckDraft) -> tuple[int, str] | None:
    """``(AK9 element index, detail)`` for the first count the AK2/AK5 loops contradict.

    A 997 may list only some sets (a partner may leave out the accepted
    ones), so the AK5s bound the counts rather than fix them: AK903 received
    <= AK902 included; AK2 loops <= received; sets the AK5s accept <= AK904
    accepted <= received minus the sets the AK5s reject.
    """
    included, received, accepted = (int(value) for value in draft.ak9[2:5])
    listed = len(draft.sets)
    accepting = sum(1 for values in draft.sets if values["status"] == ACCEPTED)
    rejecting = sum(1 for values in draft.sets if values["status"] in REJECTING)
    if received > included:
        return 3, f"{received} sets received, more than the {included} included (AK902)"
    if listed > received:
        return 3, f"{received} sets received, but the AK2 loops acknowledge {listed}"
    if accepted < accepting:
        return 4, f"{accepted} sets accepted, but the AK5s accept {accepting} (AK501 A)"
    if accepted > received - rejecting:
        detail = (
            f"{accepted} sets accepted, but the AK5s reject {rejecting} of the {received} received"
        )
        return 4, detail
    return None


def _last_position(ts: TransactionSet, tag: str) -> int:
    """Position in the set (ST = 1) of the last ``tag`` segment."""
    mark = tag + ts.delimiters.element
    segments = ts.segments
    return next(
        (index for index in range(len(segments), 0, -1) if segments[index - 1].startswith(mark)),
        ts.segment_count,
    )


def _count(value: str, index: int, what: str) -> int:
    number = whole_number(need(value, index, what), index, what)
    return number


_HANDLERS = {"AK1": _ak1, "AK2": _ak2, "AK3": _ak3, "AK4": _ak4, "AK5": _ak5, "AK9": _ak9}
