"""Real third-party files: each valid one parses or raises the envelope error; each malformed
one raises it, at the segment and element a careful reader would point to."""

from __future__ import annotations

import pytest

from connectors.edi import EnvelopeError, read_interchanges, read_set
from tests.connectors.edi.builders import SAMPLES

VALID = SAMPLES / "x12"
MALFORMED = SAMPLES / "x12_malformed"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason="shared/samples is not beside the repository"
)


def files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def name(path) -> str:
    return path.name


@needs_samples
@pytest.mark.parametrize("path", files(VALID), ids=name)
def test_given_a_real_file_when_read_then_it_parses_or_raises_only_the_envelope_error(path):
    try:
        interchanges = read_interchanges(path.read_bytes())
    except EnvelopeError as error:
        assert error.position >= 1 and error.segment_id
        return
    sets = [ts for i in interchanges for g in i.groups for ts in g.transaction_sets]
    assert sets
    for ts in sets:  # documents are read or refused with AK3/AK4 notes, nothing else
        read_set(ts)


@needs_samples
@pytest.mark.parametrize("path", files(MALFORMED), ids=name)
def test_given_a_malformed_file_when_read_then_the_envelope_error_is_raised(path):
    with pytest.raises(EnvelopeError):
        read_interchanges(path.read_bytes())


# (file, interchange, position, segment id, element, words in the detail)
EXPECTED = [
    (
        "x12_malformed/olmelabs__EdiEngine__ControlNumbersMismatch.edi",
        "000003438",
        7,
        "SE",
        "SE02",
        "0002 does not match ST02 0001",
    ),
    (
        "x12_malformed/olmelabs__EdiEngine__WrongGroupsAndTranCount.edi",
        "000003438",
        8,
        "GE",
        "GE01",
        "count 2 does not match the 1 transaction sets",
    ),
    (
        "x12_malformed/x12-types__test_940_truncated_isa.edi",
        "1",
        1,
        "ISA",
        "ISA09",
        "breaks off after 8 of its 16 elements (the data ends)",
    ),
    (
        "x12_malformed/x12-types__test_940_invalid_isa_missing_fields.edi",
        "1",
        1,
        "ISA",
        "ISA11",
        "breaks off after 10 of its 16 elements",
    ),
    ("x12_malformed/x12-types__test_940_invalid_isa_tag.edi", "1", 1, "ISA", None, "no ISA"),
    (
        "x12_malformed/x12-types__test_940_invalid_unicode_characters_validation.edi",
        "000000009",
        1,
        "ISA",
        "ISA16",
        "component separator",
    ),
    (
        "x12_malformed/indice-co__EDI.Net__x12.214.edi",
        "1",
        1,
        "ISA",
        "ISA09",
        "a line break follows",
    ),
    (
        "x12_malformed/indice-co__EDI.Net__x12.850.issue135.edi",
        "000000001",
        23,
        "DTM",
        "DTM02",
        "terminator",
    ),
    (
        "x12_malformed/Silvenga__837_pipe_and_bang_separators.edi",
        "000010216",
        47,
        "SE",
        None,
        "has no SE trailer",
    ),
    ("x12_malformed/badx12__bad_file.edi", "1", 1, "ISA", None, "no ISA"),
    ("x12_malformed/hellooops__850-comments.x12", "1", 1, "ISA", None, "no ISA"),
    (
        "x12_malformed/x12-types__test_940_malformed_document_structure.edi",
        "000000009",
        2,
        "IEA",
        None,
        "is an ISA alone: no GS and no IEA trailer follow it (end of data)",
    ),
    (  # ISA16 ':' then a line break and nothing more: read as a line-break terminator
        "x12_malformed/badx12__segment_terminator.edi",
        "000010216",
        2,
        "IEA",
        None,
        "is an ISA alone: no GS and no IEA trailer follow it (end of data); "
        "is the segment terminator after ISA16 missing?",
    ),
    (
        "x12/945/x12-types__test_945_parse_1.edi",
        "043000123",
        18,
        "SE",
        "SE01",
        "count 12 does not match the 16 segments",
    ),
    (
        "x12/other/indice-co__EDI.Net__204-MGCTLYST-SAMPLE.EDI",
        "000018718",
        40,
        "SE",
        "SE01",
        "count 41 does not match the 38 segments",
    ),
    ("x12/997/x12-types__test_997_1.edi", "1", 1, "ISA", None, "no ISA"),
    ("x12/997/x12-types__test_997_3.edi", "1", 1, "ISA", None, "no ISA"),
]


@needs_samples
@pytest.mark.parametrize(
    ("relative", "interchange", "position", "segment_id", "element", "words"),
    EXPECTED,
    ids=[row[0].split("/")[-1] for row in EXPECTED],
)
def test_given_a_known_defect_when_read_then_the_error_points_at_it(
    relative, interchange, position, segment_id, element, words
):
    with pytest.raises(EnvelopeError) as caught:
        read_interchanges((SAMPLES / relative).read_bytes())
    error = caught.value
    assert (error.interchange, error.position, error.segment_id, error.element) == (
        interchange,
        position,
        segment_id,
        element,
    )
    assert words in error.detail
    assert f"interchange {interchange}, segment {position} ({segment_id})" in str(error)


@needs_samples
def test_given_quirky_real_layouts_when_read_then_they_parse():
    quirks = {
        "850/x12-types__parse_850_2.edi": ("*", ">", "~"),  # 5010, non-padded ISA
        "940/x12-types__test_940_4.edi": ("*", "", "~"),  # ISA16 left empty
        "940/x12-types__test_940_2.edi": ("*", "\\", "~"),  # ISA16 backslash
        "850/olmelabs__EdiEngine__850.OK.edi": ("*", ">", "\n"),  # newline terminator
        "856/Silvenga__856_pipe_separated_DSCSA.edi": ("|", ">", "~"),
        "810/indice-co__EDI.Net__x12.810a.edi": ("*", ">", "~"),  # BOM, tab indented
    }
    for relative, (element, component, segment) in quirks.items():
        [interchange, *_] = read_interchanges((VALID / relative).read_bytes())
        delimiters = interchange.delimiters
        assert (delimiters.element, delimiters.component, delimiters.segment) == (
            element,
            component,
            segment,
        ), relative
    [napa] = read_interchanges((VALID / "850/x12-types__parse_850_2.edi").read_bytes())
    assert napa.delimiters.repetition == "|"  # ISA11 from 00501 on
    many = read_interchanges(
        (VALID / "940/olmelabs__EdiEngine__MultipleInterchangesAndGroups.edi").read_bytes()
    )
    assert [len(i.groups) for i in many] == [2, 2]
    assert sum(len(g.transaction_sets) for i in many for g in i.groups) == 6
