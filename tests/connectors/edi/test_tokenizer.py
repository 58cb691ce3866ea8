"""Tokenizer: delimiters come from each ISA; layout quirks are tolerated; junk is refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.edi import Delimiters, EnvelopeError, read_interchanges, tokenize
from connectors.edi.tokenizer import decode, split_interchanges
from connectors.edi.writer import isa_elements, serialize
from tests.connectors.edi.builders import make_envelope

ISA_4010 = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*261123*1830*U*00401*000000905*0*P*>~"
)
BODY = "GS*SW*S*R*20261123*1830*77*X*004010~ST*945*0001~W06*F*A~SE*3*0001~GE*1*77~IEA*1*905~"


def interchange(text: str) -> list:
    return list(split_interchanges(decode(text)))


def test_given_fixed_width_isa_when_tokenized_then_delimiters_come_from_the_isa():
    [first] = interchange(ISA_4010 + BODY)
    assert first.delimiters == Delimiters("*", ">", "~", "")
    assert first.isa[13] == "000000905"
    assert first.segments[0] == "GS*SW*S*R*20261123*1830*77*X*004010"


def test_given_non_padded_isa_and_pipes_when_tokenized_then_16_separators_are_counted():
    text = "ISA|00| |00| |ZZ|S |ZZ|R |261123|1830|U|00401|000000905|0|P|!~" + BODY.replace("*", "|")
    [first] = interchange(text)
    assert first.delimiters == Delimiters("|", "!", "~", "")
    assert first.isa[6] == "S "


def test_given_newline_terminator_and_crlf_when_tokenized_then_segments_are_clean():
    text = ISA_4010[:-1] + "\r\n" + BODY.replace("~", "\r\n")
    segments = tokenize(text)
    assert [s[0] for s in segments] == ["ISA", "GS", "ST", "W06", "SE", "GE", "IEA"]
    assert segments[3] == ["W06", "F", "A"]


def test_given_empty_isa16_when_tokenized_then_the_next_character_is_the_terminator():
    text = ISA_4010.replace("*P*>~", "*P*~\n") + BODY.replace("~", "~\n")
    [first] = interchange(text)
    assert first.delimiters.component == ""
    assert first.delimiters.segment == "~"
    assert first.segments[-1] == "IEA*1*905"


def test_given_bom_tabs_and_blank_lines_when_tokenized_then_they_are_ignored():
    text = "\ufeff" + ISA_4010 + "\n\n\t" + BODY.replace("~", "~\r\n\t  \r\n")
    segments = tokenize(text.encode("utf-8"))
    assert [s[0] for s in segments] == ["ISA", "GS", "ST", "W06", "SE", "GE", "IEA"]


def test_given_5010_isa_when_tokenized_then_isa11_is_the_repetition_separator():
    text = ISA_4010.replace("*U*00401*", "*^*00501*") + BODY
    [first] = interchange(text)
    assert first.delimiters.repetition == "^"


def test_given_two_interchanges_with_different_delimiters_when_tokenized_then_each_keeps_its_own():
    second = ISA_4010.replace("000000905", "000000906") + BODY.replace("IEA*1*905", "IEA*1*906")
    second = second.replace("*", "|").replace(">~", "!~")
    first, other = interchange(ISA_4010 + BODY + "\n" + second)
    assert first.delimiters.element == "*"
    assert other.delimiters == Delimiters("|", "!", "~", "")
    assert other.first_position == 8


def test_given_latin1_bytes_when_decoded_then_names_survive():
    assert decode("N1*ST*Müller~".encode("latin-1")) == "N1*ST*Müller~"


@pytest.mark.parametrize(
    ("data", "element", "words"),
    [
        (b"", None, "empty"),
        (b"   \n", None, "empty"),
        (b"ST*997*0001~AK1*PO*1~", None, "no ISA"),
        (b"XSA*00*", None, "no ISA"),
        (b"ISA*00*          *00*      ", "ISA05", "breaks off after 4"),
        (ISA_4010.replace("*P*>~", "*P*\xf0\x9f\x9a\x80~").encode("latin-1"), "ISA16", "component"),
        (ISA_4010.replace("*1830*", "*18x0*").encode(), "ISA10", "time"),
        (ISA_4010.replace("*0*P*", "*0*X*").encode(), "ISA15", "usage"),
        (ISA_4010.replace("*P*>~", "*P*").encode(), "ISA16", "data ends"),
    ],
)
def test_given_a_broken_isa_when_tokenized_then_the_isa_error_names_the_element(
    data, element, words
):
    with pytest.raises(EnvelopeError) as caught:
        tokenize(data)
    assert caught.value.segment_id == "ISA"
    assert caught.value.position == 1
    assert caught.value.element == element
    assert words in str(caught.value)


def test_given_emoji_component_separator_when_tokenized_then_isa16_is_refused():
    text = ISA_4010.replace("*P*>~", "*P*\N{ROCKET}~") + BODY
    with pytest.raises(EnvelopeError) as caught:
        tokenize(text.encode("utf-8"))
    assert caught.value.element == "ISA16"
    assert caught.value.interchange == "000000905"


def test_given_a_missing_terminator_when_tokenized_then_the_line_break_is_named():
    text = ISA_4010 + "\n" + BODY.replace("~", "~\n").replace("W06*F*A~\n", "W06*F*A\n")
    with pytest.raises(EnvelopeError) as caught:
        tokenize(text)
    assert (caught.value.position, caught.value.segment_id) == (4, "W06")
    assert caught.value.element == "W0602"
    assert "terminator" in str(caught.value)


@pytest.mark.parametrize("tail", ["\x1a", "\r\n\x1a", "\x1a\r\n", "\n\x1a\n\n"])
def test_given_a_ctrl_z_after_the_last_iea_when_read_then_it_is_ignored(tail):
    data = (ISA_4010 + BODY + tail).encode()
    assert [s[0] for s in tokenize(data)] == ["ISA", "GS", "ST", "W06", "SE", "GE", "IEA"]
    [interchange] = read_interchanges(data)
    assert interchange.groups[0].transaction_sets[0].segments[-1] == "SE*3*0001"


def test_given_a_ctrl_z_right_after_an_unterminated_iea_when_read_then_iea02_is_clean():
    [interchange] = read_interchanges((ISA_4010 + BODY[:-1] + "\x1a").encode())
    assert interchange.control_number == "000000905"


def test_given_a_ctrl_z_between_interchanges_when_read_then_it_is_not_an_isa():
    second = ISA_4010.replace("000000905", "000000906") + BODY.replace("IEA*1*905", "IEA*1*906")
    with pytest.raises(EnvelopeError) as caught:
        tokenize(ISA_4010 + BODY + "\x1a" + second)
    assert str(caught.value) == (
        "interchange 2, segment 8 (ISA): no ISA: the data starts with "
        "'\\x1aISA*00*          *00*  ' instead of an ISA interchange header"
    )


@pytest.mark.parametrize("codec", ["cp037", "cp500", "cp1140"])
def test_given_an_ebcdic_file_when_read_then_the_encoding_is_named(codec):
    with pytest.raises(EnvelopeError) as caught:
        read_interchanges((ISA_4010 + BODY).encode(codec))
    assert str(caught.value) == (
        "interchange 1, segment 1 (ISA): the data looks EBCDIC-encoded; X12 here must be "
        "ASCII/UTF-8 (it starts with the bytes C9 E2 C1, 'ISA' in EBCDIC)"
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (  # ISA16 '>' and then the GS: no terminator anywhere
            ISA_4010[:-1] + BODY.replace("~", ""),
            "segment terminator missing after ISA16 '>': the next segment starts right "
            "after it, and '>' never occurs again",
        ),
        (  # only the ISA has its '~'
            ISA_4010 + BODY.replace("~", ""),
            "segment terminator missing: '~' ends the ISA but never occurs after it, "
            "so the segments after it run together",
        ),
        (  # the ISA ends at a line break; the others with '~' and no line break
            ISA_4010[:-1] + "\n" + BODY,
            "segment terminator missing: a line break ends the ISA but none follows it, so "
            "the segments after it run together (is the ISA's own terminator missing?)",
        ),
        (  # the ISA lost its '~'; every other segment has '~' and a line break
            ISA_4010[:-1] + "\r\n" + BODY.replace("~", "~\r\n"),
            "segment terminator missing on the ISA: it ends at a line break, but the "
            "segments after it end with '~'",
        ),
        (  # the same with ISA16 left empty
            ISA_4010.replace("*P*>~", "*P*\n") + BODY.replace("~", "~\n"),
            "segment terminator missing on the ISA: it ends at a line break, but the "
            "segments after it end with '~'",
        ),
    ],
    ids=[
        "run-together",
        "isa-only-terminated",
        "isa-line-break-only",
        "isa-lost-tilde",
        "isa-lost-tilde-empty-isa16",
    ],
)
def test_given_a_missing_segment_terminator_when_read_then_isa16_is_named(text, detail):
    with pytest.raises(EnvelopeError) as caught:
        read_interchanges(text.encode())
    assert (caught.value.position, caught.value.segment_id, caught.value.element) == (
        1,
        "ISA",
        "ISA16",
    )
    assert str(caught.value) == f"interchange 000000905, segment 1 (ISA), element ISA16: {detail}"


@pytest.mark.parametrize(
    ("line_break", "after_isa", "at_the_end"),
    [("\n", "", ""), ("\r\n", "", ""), ("\n", "\n", "\n\n"), ("\r\n", " \r\n", "\r\n\x1a")],
)
def test_given_a_line_break_as_the_terminator_throughout_when_read_then_it_is_accepted(
    line_break, after_isa, at_the_end
):
    text = ISA_4010[:-1] + line_break + after_isa + BODY.replace("~", line_break) + at_the_end
    [interchange] = read_interchanges(text.encode())
    assert interchange.delimiters.segment == line_break[0]
    [group] = interchange.groups
    assert group.version == "004010"
    assert group.transaction_sets[0].segments == ["ST*945*0001", "W06*F*A", "SE*3*0001"]


def test_given_only_an_iea_without_its_final_terminator_when_read_then_it_is_accepted():
    [interchange] = read_interchanges((ISA_4010 + "IEA*0*000000905").encode())
    assert interchange.groups == []


SAFE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-/#", min_size=1, max_size=12)
SEGMENT_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=3)
SEGMENT = st.builds(
    lambda tag, values: [tag, *values],
    SEGMENT_ID.filter(lambda tag: tag[0].isalpha() and tag not in ("ISA", "IEA")),
    st.lists(SAFE.map(str.strip).filter(bool), min_size=1, max_size=8),
)
DELIMITER_POOL = list("*|^~!>:+`\\{}[]<?@=\x1c\x1d\x1e\x1f")
DELIMITERS = st.lists(st.sampled_from(DELIMITER_POOL), min_size=3, max_size=3, unique=True)


@settings(max_examples=200, deadline=None)
@given(
    segments=st.lists(SEGMENT, min_size=1, max_size=20),
    chars=DELIMITERS,
    line_breaks=st.booleans(),
    terminator=st.sampled_from(["pool", "\n", "\r"]),
    end_of_file=st.sampled_from(["", "\x1a", "\r\n\x1a", "\x1a\n"]),
)
def test_property_segments_of_safe_characters_round_trip_with_any_delimiters(
    segments, chars, line_breaks, terminator, end_of_file
):
    segment = chars[2] if terminator == "pool" else terminator
    delimiters = Delimiters(chars[0], chars[1], segment, "")
    isa = isa_elements(make_envelope(), delimiters)
    text = serialize([isa, *segments], delimiters, line_breaks, clean=False) + end_of_file
    assert tokenize(text.encode("utf-8")) == [isa, *segments]


@settings(max_examples=200, deadline=None)
@given(
    segments=st.lists(SEGMENT, min_size=1, max_size=20),
    chars=DELIMITERS,
    isa_terminated=st.booleans(),
)
def test_property_segments_without_terminators_are_refused_at_isa16(
    segments, chars, isa_terminated
):
    delimiters = Delimiters(chars[0], chars[1], chars[2], "")
    isa = serialize([isa_elements(make_envelope(), delimiters)], delimiters, False, clean=False)
    body = "".join(delimiters.element.join(segment) for segment in segments)
    with pytest.raises(EnvelopeError) as caught:
        tokenize((isa if isa_terminated else isa[:-1]) + body)
    assert (caught.value.position, caught.value.element) == (1, "ISA16")
    assert caught.value.detail.startswith("segment terminator missing")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_property_arbitrary_bytes_raise_only_the_envelope_error(data):
    with contextlib.suppress(EnvelopeError):
        tokenize(data)


@settings(max_examples=300, deadline=None)
@given(noise=st.binary(max_size=200), cut=st.integers(min_value=0, max_value=200))
def test_property_damaged_isa_raises_only_the_envelope_error(noise, cut):
    text = (ISA_4010 + BODY).encode()
    with contextlib.suppress(EnvelopeError):
        tokenize(text[:cut] + noise + text[cut:])
