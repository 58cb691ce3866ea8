"""Envelope validation: pairing, counts and control numbers, each error precisely located."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.edi import EnvelopeError, read_interchanges, write_945
from connectors.errors import PermanentError
from tests.connectors.edi.builders import make_advice, make_envelope


def written(advices=2, **envelope) -> str:
    """A valid 945 interchange as text, one segment per line (positions = line numbers)."""
    data = write_945([make_advice(f"WEB-{n}") for n in range(advices)], make_envelope(**envelope))
    return data.decode()


def lines(text: str) -> list[str]:
    return text.splitlines()


def replace_line(text: str, number: int, new: str) -> str:
    rows = lines(text)
    rows[number - 1] = new + "~"
    return "\n".join(rows) + "\n"


def error_of(text: str) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        read_interchanges(text.encode())
    return caught.value


def test_given_a_written_file_when_read_then_the_structure_and_identities_come_back():
    [interchange] = read_interchanges(written(3).encode())
    assert interchange.control_number == "000000905"
    assert (interchange.sender_id, interchange.receiver_id) == ("SYNCPLATFORM", "SANDBOX3PL")
    assert interchange.prepared_at == datetime(2026, 11, 23, 18, 30)
    assert interchange.is_test and interchange.version == "00401"
    [group] = interchange.groups
    assert (group.functional_id, group.control_number, group.version) == ("SW", "77", "004010")
    assert group.application_receiver == "3PLAPP"
    assert [ts.control_number for ts in group.transaction_sets] == ["0001", "0002", "0003"]
    first = group.transaction_sets[0]
    assert first.position == 3
    assert first.segments[0] == "ST*945*0001"
    assert first.segments[-1].startswith("SE*")
    assert first.segment_count == len(first.segments)


def test_given_iea02_differs_from_isa13_when_read_then_the_error_names_iea02():
    text = written(1)
    last = len(lines(text))
    error = error_of(replace_line(text, last, "IEA*1*000000906"))
    assert isinstance(error, PermanentError)
    assert (error.interchange, error.position, error.segment_id, error.element) == (
        "000000905",
        last,
        "IEA",
        "IEA02",
    )
    assert str(error) == (
        f"interchange 000000905, segment {last} (IEA), element IEA02: "
        "control number 000000906 does not match ISA13 000000905"
    )


def test_given_control_numbers_without_zero_padding_when_read_then_they_match_as_numbers():
    text = written(1)
    text = replace_line(text, len(lines(text)), "IEA*1*905")
    [interchange] = read_interchanges(text.encode())
    assert interchange.control_number == "000000905"


@pytest.mark.parametrize(
    ("line_from_end", "new", "segment_id", "element", "words"),
    [
        (3, "SE*99*0002", "SE", "SE01", "count 99 does not match"),
        (3, "SE*25*0009", "SE", "SE02", "does not match ST02 0002"),
        (3, "SE*x*0002", "SE", "SE01", "not a number"),
        (2, "GE*3*77", "GE", "GE01", "count 3 does not match the 2 transaction sets"),
        (2, "GE*2*78", "GE", "GE02", "does not match GS06 77"),
        (1, "IEA*2*000000905", "IEA", "IEA01", "count 2 does not match the 1 functional groups"),
        (1, "IEA*1", "IEA", "IEA02", "mandatory element is missing"),
    ],
)
def test_given_a_bad_trailer_when_read_then_segment_and_element_are_named(
    line_from_end, new, segment_id, element, words
):
    text = written(2)
    number = len(lines(text)) + 1 - line_from_end
    if segment_id == "SE":  # keep the real count unless the case is about it
        real = lines(text)[number - 1].rstrip("~").split("*")[1]
        new = new.replace("*25*", f"*{real}*")
    error = error_of(replace_line(text, number, new))
    assert (error.position, error.segment_id, error.element) == (number, segment_id, element)
    assert words in error.detail


def test_given_the_se_is_missing_when_read_then_the_next_st_is_named():
    text = written(2)
    rows = lines(text)
    se = next(n for n, row in enumerate(rows, 1) if row.startswith("SE*"))
    error = error_of("\n".join(rows[: se - 1] + rows[se:]))
    assert (error.position, error.segment_id) == (se, "ST")
    assert "has no SE trailer" in error.detail


def test_given_a_segment_between_sets_when_read_then_it_is_outside_any_set():
    text = written(2)
    rows = lines(text)
    se = next(n for n, row in enumerate(rows, 1) if row.startswith("SE*"))
    rows.insert(se, "NTE*GEN*stray~")
    error = error_of("\n".join(rows))
    assert (error.position, error.segment_id) == (se + 1, "NTE")
    assert "outside any transaction set" in error.detail


def test_given_the_file_ends_inside_a_set_when_read_then_the_missing_se_is_at_the_end():
    rows = lines(written(1))
    error = error_of("\n".join(rows[:6]))
    assert (error.position, error.segment_id, error.element) == (7, "SE", None)
    assert "end of data" in error.detail


def test_given_a_second_isa_before_the_iea_when_read_then_the_isa_is_unexpected():
    first, second = written(1), written(1, interchange_control_number=906)
    error = error_of("\n".join(lines(first)[:-1]) + "\n" + second)
    assert error.segment_id == "ISA"
    assert error.position == len(lines(first))


def test_given_two_interchanges_when_read_then_positions_continue_across_them():
    first, second = written(1), written(2, interchange_control_number=906)
    interchanges = read_interchanges((first + second).encode())
    assert [i.control_number for i in interchanges] == ["000000905", "000000906"]
    assert interchanges[1].position == len(lines(first)) + 1
    set_position = interchanges[1].groups[0].transaction_sets[0].position
    assert set_position == len(lines(first)) + 3


def test_given_a_bad_gs_date_when_read_then_gs04_is_named():
    text = written(1)
    gs = lines(text)[1].replace("20261123", "20261332").rstrip("~")
    error = error_of(replace_line(text, 2, gs))
    assert (error.position, error.segment_id, error.element) == (2, "GS", "GS04")


def test_given_a_group_without_ge_when_read_then_the_iea_is_unexpected_inside_it():
    rows = lines(written(1))
    error = error_of("\n".join(rows[:-2] + rows[-1:]))
    assert (error.segment_id, error.position) == ("IEA", len(rows) - 1)
    assert "inside functional group 77" in error.detail


def test_given_two_interchanges_with_one_isa13_when_read_then_the_second_names_the_first():
    first = written(1)
    second = written(1).replace("*000000905*", "*905*", 1)  # the same number, unpadded
    error = error_of(first + second)
    position = len(lines(first)) + 1
    assert (error.position, error.segment_id, error.element) == (position, "ISA", "ISA13")
    assert str(error) == (
        f"interchange 905, segment {position} (ISA), element ISA13: "
        "duplicate control number 905: the interchange at segment 1 has it too"
    )


def test_given_two_groups_with_one_gs06_when_read_then_the_second_names_the_first():
    rows = lines(written(1))
    group = rows[1:-1]
    text = "\n".join([rows[0], *group, *group, "IEA*2*000000905~"])
    error = error_of(text)
    position = 2 + len(group)
    assert str(error) == (
        f"interchange 000000905, segment {position} (GS), element GS06: "
        "duplicate control number 77: the group at segment 2 has it too"
    )


@pytest.mark.parametrize("number", ["0001", "1"])
def test_given_two_sets_with_one_st02_in_a_group_when_read_then_the_second_names_the_first(
    number,
):
    text = written(2)
    rows = lines(text)
    second = rows.index("ST*945*0002~") + 1
    trailer = next(n for n, row in enumerate(rows, 1) if row.startswith("SE*") and "*0002" in row)
    text = replace_line(text, second, f"ST*945*{number}")
    text = replace_line(text, trailer, rows[trailer - 1].replace("*0002~", f"*{number}"))
    error = error_of(text)
    assert (error.position, error.segment_id, error.element) == (second, "ST", "ST02")
    assert str(error) == (
        f"interchange 000000905, segment {second} (ST), element ST02: "
        f"duplicate control number {number}: the set at segment 3 of group 77 has it too"
    )


def test_given_the_same_st02_in_two_groups_when_read_then_both_are_kept():
    rows = lines(written(1))
    group = rows[1:-1]
    other = [row.replace("*77*", "*78*").replace("GE*1*77", "GE*1*78") for row in group]
    [interchange] = read_interchanges("\n".join([rows[0], *group, *other, "IEA*2*905~"]))
    assert [g.control_number for g in interchange.groups] == ["77", "78"]
    assert [g.transaction_sets[0].control_number for g in interchange.groups] == ["0001", "0001"]


TA1 = "TA1*000000123*261122*0915*R*022~"


@pytest.mark.parametrize(
    ("where", "position"),
    [("alone", 2), ("before the group", 2), ("inside the group", 3)],
)
def test_given_a_ta1_when_read_then_it_is_not_supported_rather_than_outside_a_set(where, position):
    rows = lines(written(1))
    if where == "alone":
        rows = [rows[0], TA1, "IEA*0*000000905~"]
    else:
        rows.insert({"before the group": 1, "inside the group": 2}[where], TA1)
    error = error_of("\n".join(rows))
    assert (error.position, error.segment_id, error.element) == (position, "TA1", None)
    assert error.detail == (
        "TA1 not supported: this interchange acknowledgment says interchange 000000123 "
        "was rejected (TA104 R, TA105 022)"
    )


def test_given_a_short_ta1_when_read_then_it_is_still_named():
    rows = lines(written(1))
    error = error_of("\n".join([rows[0], "TA1*000000123~", "IEA*0*000000905~"]))
    assert error.detail == (
        "TA1 not supported: this interchange acknowledgment says interchange 000000123 "
        "was answered (TA104 -, TA105 -)"
    )


@pytest.mark.parametrize(
    ("isa_end", "hint"),
    [("*>~\n", ""), ("*>\n", "; is the segment terminator after ISA16 missing?")],
)
def test_given_an_isa_alone_when_read_then_it_is_said_so(isa_end, hint):
    isa = lines(written(1))[0]
    error = error_of(isa.removesuffix("*>~") + isa_end)
    assert (error.position, error.segment_id) == (2, "IEA")
    assert str(error) == (
        "interchange 000000905, segment 2 (IEA): interchange 000000905 is an ISA alone: "
        f"no GS and no IEA trailer follow it (end of data){hint}"
    )
