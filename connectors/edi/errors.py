"""What can be wrong with an X12 file, said precisely enough to act on.

Two levels, matching what a 997 can say:

``EnvelopeError``
    The file cannot be trusted as a whole: no ISA, unreadable delimiters, a
    missing trailer, a count or control number that does not match. It names
    the interchange (its ISA13, or its ordinal "1", "2"... when the ISA itself
    is unreadable), the 1-based segment position in the file, the segment id
    and, when one element is at fault, the element (``IEA02``). Reading stops
    at the first one; nothing of the file is delivered.

``DocumentError``
    One transaction set is wrong inside a sound envelope (a 945 without W06,
    a non-numeric W12 quantity). It carries ``SegmentNote``/``ElementNote``
    values -- the AK3/AK4 content of a 997 -- so the acknowledgment can say
    exactly what was refused while the good sets of the same group are still
    delivered.

Both are ``PermanentError``: resending the same bytes will not help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.errors import PermanentError


class SegmentSyntax:
    """AK304 segment syntax error codes (X12 element 720)."""

    UNRECOGNIZED_ID = "1"
    UNEXPECTED = "2"
    MANDATORY_MISSING = "3"
    LOOP_OVER_MAXIMUM = "4"
    EXCEEDS_MAXIMUM_USE = "5"
    NOT_IN_SET = "6"
    OUT_OF_SEQUENCE = "7"
    HAS_ELEMENT_ERRORS = "8"


class ElementSyntax:
    """AK403 data element syntax error codes (X12 element 723)."""

    MANDATORY_MISSING = "1"
    CONDITIONAL_MISSING = "2"
    TOO_MANY_ELEMENTS = "3"
    TOO_SHORT = "4"
    TOO_LONG = "5"
    INVALID_CHARACTER = "6"
    INVALID_CODE = "7"
    INVALID_DATE = "8"
    INVALID_TIME = "9"


class SetSyntax:
    """AK502..AK506 transaction set error codes (X12 element 718)."""

    NOT_SUPPORTED = "1"
    TRAILER_MISSING = "2"
    CONTROL_NUMBER_MISMATCH = "3"
    SEGMENT_COUNT_MISMATCH = "4"
    SEGMENTS_IN_ERROR = "5"


@dataclass(frozen=True)
class ElementNote:
    """One bad element of a segment: the content of an AK4.

    ``position`` is the element's 1-based position in its segment (AK401-1),
    ``component_position`` the position inside a composite (AK401-2).
    ``detail`` is for people and is not part of the 997, nor of equality.
    """

    position: int
    error_code: str
    bad_value: str = ""
    component_position: int | None = None
    reference_number: str = ""
    detail: str = field(default="", compare=False)


@dataclass(frozen=True)
class SegmentNote:
    """One bad (or missing) segment of a transaction set: the content of an AK3.

    ``position`` counts from the ST segment, which is 1 (AK302). For a missing
    mandatory segment it is the position where the segment was expected.
    """

    segment_id: str
    position: int
    error_code: str
    elements: tuple[ElementNote, ...] = ()
    loop_id: str = ""
    detail: str = field(default="", compare=False)

    def describe(self, first_position: int | None = None) -> str:
        """``segment 14 (W12, 12th in the set), element W1203: 'x' is not a number``.

        ``first_position`` is the file position of the set's ST; without it the
        position in the set is all that can be said.
        """
        if first_position is None:
            text = f"segment {self.position} of the set ({self.segment_id})"
        else:
            file_position = first_position + self.position - 1
            text = f"segment {file_position} ({self.segment_id}, #{self.position} in the set)"
        if self.elements:
            note = self.elements[0]
            text += f", element {self.segment_id}{note.position:02d}"
            return f"{text}: {note.detail or 'error code ' + note.error_code}"
        return f"{text}: {self.detail or 'error code ' + self.error_code}"


class EnvelopeError(PermanentError):
    """The interchange envelope or the syntax of the file is broken.

    Attributes: ``interchange`` (ISA13, or the interchange's ordinal in the
    file when its ISA is unreadable), ``interchange_control_number`` (ISA13 or
    None), ``position`` (1-based segment number in the file), ``segment_id``
    (the segment found there, or the one expected at the end of the data),
    ``element`` (e.g. ``"IEA02"``, or None) and ``detail``.
    """

    code = "edi_envelope"

    def __init__(
        self,
        detail: str,
        *,
        interchange: str,
        position: int,
        segment_id: str,
        element: str | None = None,
        interchange_control_number: str | None = None,
    ):
        self.detail = detail
        self.interchange = interchange
        self.interchange_control_number = interchange_control_number
        self.position = position
        self.segment_id = segment_id
        self.element = element
        where = f"interchange {interchange}, segment {position} ({segment_id})"
        if element:
            where += f", element {element}"
        super().__init__(f"{where}: {detail}")


class DocumentError(PermanentError):
    """A transaction set whose content this platform refuses.

    ``notes`` are the AK3/AK4 values; ``set_error_codes`` the AK502.. codes
    (``5``, "one or more segments in error", when there are notes; ``1``,
    "not supported", for a set type nobody reads). ``position`` is the file
    position of the set's ST segment.
    """

    code = "edi_document"

    def __init__(
        self,
        *,
        set_code: str,
        control_number: str,
        position: int,
        notes: tuple[SegmentNote, ...] = (),
        set_error_codes: tuple[str, ...] = (SetSyntax.SEGMENTS_IN_ERROR,),
        interchange_control_number: str = "",
        group_control_number: str = "",
        detail: str = "",
    ):
        self.set_code = set_code
        self.control_number = control_number
        self.position = position
        self.notes = tuple(notes)
        self.set_error_codes = tuple(set_error_codes)
        self.interchange_control_number = interchange_control_number
        self.group_control_number = group_control_number
        where = (
            f"interchange {interchange_control_number}, group {group_control_number}, "
            f"{set_code} set {control_number} (ST at segment {position})"
        )
        if self.notes:
            detail = self.notes[0].describe(position)
            if len(self.notes) > 1:
                detail += f" (and {len(self.notes) - 1} more)"
        super().__init__(f"{where}: {detail}")
