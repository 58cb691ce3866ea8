"""997: built from a group's per-set outcomes, written, and read back."""

from __future__ import annotations

import pytest

from connectors.edi import (
    DocumentError,
    ElementNote,
    FunctionalAck,
    SegmentNote,
    SetAck,
    build_997,
    read_997,
    read_group,
    read_interchanges,
    write_945,
    write_997,
)
from tests.connectors.edi.builders import make_advice, make_envelope


def received_group(version: str = "004010", break_second: bool = True):
    """A warehouse's 945 group; the second set has a non-numeric W12 quantity."""
    data = write_945([make_advice("A"), make_advice("B")], make_envelope(version=version))
    if break_second:
        head, tail = data.split(b"ST*945*0002~")
        data = head + b"ST*945*0002~" + tail.replace(b"W12*CC*2*2*0", b"W12*CC*2*X2*0", 1)
    [interchange] = read_interchanges(data)
    return interchange.groups[0]


def read_back(data: bytes) -> FunctionalAck:
    [interchange] = read_interchanges(data)
    [ts] = interchange.groups[0].transaction_sets
    return read_997(ts)


def test_given_a_group_with_a_bad_set_when_acknowledged_then_ak3_ak4_name_the_failure():
    group = received_group()
    ack = build_997(group, read_group(group))
    assert (ack.functional_id, ack.group_control_number, ack.version) == ("SW", "77", "004010")
    assert (ack.status, ack.sets_included, ack.sets_received, ack.sets_accepted) == ("P", 2, 2, 1)
    good, bad = ack.set_acks
    assert (good.control_number, good.status, good.segment_notes) == ("0001", "A", ())
    assert (bad.control_number, bad.status, bad.error_codes) == ("0002", "R", ("5",))
    [note] = bad.segment_notes
    assert (note.segment_id, note.error_code) == ("W12", "8")
    assert note.position == 11  # ST=1, W06, N1, N3, N4, N9, G62, W27, LX, MAN, W12
    assert note.elements == (ElementNote(position=3, error_code="6", bad_value="X2"),)


def test_given_an_ack_when_written_then_ak_segments_and_envelope_are_right():
    group = received_group()
    data = write_997(build_997(group, read_group(group)), make_envelope(group_control_number=5))
    text = data.decode()
    assert "GS*FA*SYNCPLATFORM*3PLAPP*20261123*1830*5*X*004010~" in text
    for segment in ("AK1*SW*77~", "AK2*945*0001~", "AK5*A~", "AK2*945*0002~",
                    "AK3*W12*11**8~", "AK4*3**6*X2~", "AK5*R*5~", "AK9*P*2*2*1~"):  # fmt: skip
        assert segment in text
    assert read_back(data) == build_997(group, read_group(group))


def test_given_a_5010_group_when_acknowledged_then_the_997_follows_its_version():
    group = received_group(version="005010", break_second=False)
    ack = build_997(group, read_group(group))
    assert ack.status == "A"
    data = write_997(ack, make_envelope())  # the envelope asks 4010; the group wins
    assert data[:106].split(b"*")[11:13] == [b"^", b"00501"]
    assert b"GS*FA*" in data and b"*X*005010~" in data
    assert b"AK1*SW*77*005010~" in data
    assert read_back(data) == ack


def test_given_an_unsupported_set_when_acknowledged_then_ak5_says_not_supported():
    group = received_group(break_second=False)
    group.transaction_sets[1].code = "856"
    ack = build_997(group, read_group(group))
    assert ack.set_acks[1].status == "R"
    assert ack.set_acks[1].error_codes == ("1",)


def test_given_a_hand_built_ack_with_component_positions_when_round_tripped_then_equal():
    ack = FunctionalAck(
        functional_id="OW",
        group_control_number="4312",
        version="004010",
        status="R",
        sets_included=1,
        sets_received=1,
        sets_accepted=0,
        set_acks=(
            SetAck(
                "940",
                "0001",
                "R",
                ("5",),
                (
                    SegmentNote(
                        "N4",
                        6,
                        "8",
                        (ElementNote(2, "7", "XX", component_position=1),),
                        loop_id="N1",
                    ),
                    SegmentNote("W01", 9, "3"),
                ),
            ),
        ),
        error_codes=("5",),
    )
    assert read_back(write_997(ack, make_envelope())) == ack


def test_given_a_997_without_ak9_when_read_then_it_is_noted_missing():
    data = write_997(
        FunctionalAck("OW", "1", "004010", "A", 1, 1, 1, (SetAck("940", "0001"),)),
        make_envelope(),
    )
    data = data.replace(b"AK9*A*1*1*1~\n", b"").replace(b"SE*6*0001", b"SE*5*0001")
    [interchange] = read_interchanges(data)
    with pytest.raises(DocumentError) as caught:
        read_997(interchange.groups[0].transaction_sets[0])
    assert [(n.segment_id, n.error_code) for n in caught.value.notes] == [("AK9", "3")]


def ack_with(status, included, received, accepted, set_statuses) -> FunctionalAck:
    """A warehouse's 997 for our group 4312, its AK9 counts as given, one AK2/AK5 per status."""
    set_acks = tuple(
        SetAck("940", f"{n:04d}", code, () if code == "A" else ("5",))
        for n, code in enumerate(set_statuses, start=1)
    )
    return FunctionalAck("OW", "4312", "004010", status, included, received, accepted, set_acks)


@pytest.mark.parametrize(
    ("counts", "set_statuses", "element", "detail"),
    [
        ((1, 2, 1), "A", 3, "2 sets received, more than the 1 included (AK902)"),
        ((3, 1, 1), "AR", 3, "1 sets received, but the AK2 loops acknowledge 2"),
        ((2, 2, 0), "AR", 4, "0 sets accepted, but the AK5s accept 1 (AK501 A)"),
        ((2, 2, 2), "AR", 4, "2 sets accepted, but the AK5s reject 1 of the 2 received"),
        ((3, 3, 3), "R", 4, "3 sets accepted, but the AK5s reject 1 of the 3 received"),
    ],
)
def test_given_ak9_counts_its_ak5s_contradict_when_read_then_the_ak9_element_is_named(
    counts, set_statuses, element, detail
):
    ack = ack_with("P", *counts, set_statuses)
    [interchange] = read_interchanges(write_997(ack, make_envelope()))
    [ts] = interchange.groups[0].transaction_sets
    with pytest.raises(DocumentError) as caught:
        read_997(ts)
    [note] = caught.value.notes
    ak9 = ts.segment_count - 1  # AK9 is the last segment before the SE
    assert (note.segment_id, note.position, note.error_code) == ("AK9", ak9, "8")
    assert note.elements == (ElementNote(element, "7", str(counts[element - 2])),)
    assert str(caught.value) == (
        f"interchange 000000905, group 77, 997 set 0001 (ST at segment 3): segment {ak9 + 2} "
        f"(AK9, #{ak9} in the set), element AK90{element}: {detail}"
    )


@pytest.mark.parametrize(
    ("status", "counts", "set_statuses"),
    [
        ("A", (3, 3, 3), ""),  # accepted sets left out: the group's AK901 speaks for them
        ("P", (3, 3, 2), "R"),
        ("P", (3, 2, 1), "AR"),  # one set never arrived
        ("E", (1, 1, 0), "E"),  # partners differ on counting E as accepted
        ("E", (1, 1, 1), "E"),
    ],
)
def test_given_ak9_counts_its_ak5s_allow_when_read_then_the_997_is_accepted(
    status, counts, set_statuses
):
    ack = ack_with(status, *counts, set_statuses)
    assert read_back(write_997(ack, make_envelope())) == ack
