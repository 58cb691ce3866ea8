"""A rejecting 997 for a file whose envelope is broken (a best effort, by design).

``read_interchanges`` stops at the first envelope error, so there are no
parsed groups to acknowledge. When the ISA and a GS header are still readable
we can say "group rejected" to the sender anyway: every set found in the group
is rejected, the set holding the error with the AK5 code for it (segment
count, control number, missing trailer) and the group with the matching AK9
code. When not even that is readable, there is nobody to address: None.
"""

from connectors.edi.ack997 import REJECTED, FunctionalAck, SetAck
from connectors.edi.errors import EnvelopeError

# X12 AK5 (set) and AK9 (group) syntax error codes for the envelope elements.
SET_CODES = {"SE01": "4", "SE02": "3", "SE": "2"}
GROUP_CODES = {"GE01": "5", "GE02": "4", "GE": "3"}
DEFAULT_SET_CODE = "5"  # one or more segments in error


def rejection_for_unreadable(data: bytes, error: EnvelopeError) -> FunctionalAck | None:
    segments = _segments(data)
    if not segments:
        return None
    group = next(((pos, s) for pos, s in segments if s[0] == "GS"), None)
    if group is None or len(group[1]) < 9:
        return None
    gs = group[1]
    sets, current = [], None
    for position, segment in segments:
        if segment[0] == "ST" and len(segment) > 2:
            current = [segment[1], segment[2], position]
            sets.append(current)
        elif segment[0] in ("GE", "IEA") or (segment[0] == "GS" and position != group[0]):
            break
    key = (error.element or error.segment_id or "").upper()
    set_acks = []
    for index, (code, control, start) in enumerate(sets):
        end = sets[index + 1][2] if index + 1 < len(sets) else float("inf")
        holds_error = start <= error.position < end
        reason = SET_CODES.get(key, SET_CODES.get(key[:2], DEFAULT_SET_CODE))
        set_acks.append(
            SetAck(code, control, REJECTED, (reason,) if holds_error else (DEFAULT_SET_CODE,))
        )
    group_code = GROUP_CODES.get(key, GROUP_CODES.get(key[:2]))
    return FunctionalAck(
        functional_id=gs[1],
        group_control_number=gs[6],
        version=gs[8] or "004010",
        status=REJECTED,
        sets_included=len(sets),
        sets_received=len(sets),
        sets_accepted=0,
        set_acks=tuple(set_acks),
        error_codes=(group_code,) if group_code else (),
    )


def _segments(data: bytes) -> list[tuple[int, list[str]]]:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if not text.startswith("ISA") or len(text) < 106:
        return []
    separator = text[3]
    count, index = 0, 0
    while count < 16:
        index = text.find(separator, index + 1)
        if index < 0:
            return []
        count += 1
    terminator_at = index + 2
    if terminator_at >= len(text):
        return []
    terminator = text[terminator_at]
    if terminator in (separator, " "):
        return []
    segments = []
    for position, raw in enumerate(text.split(terminator), start=1):
        raw = raw.strip("\r\n\t ")
        if raw:
            segments.append((position, raw.split(separator)))
    return segments
