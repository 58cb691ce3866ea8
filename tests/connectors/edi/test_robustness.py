"""Whatever the bytes, reading raises only EnvelopeError and set reading only DocumentError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.edi import (
    EnvelopeError,
    FunctionalAck,
    SetAck,
    read_group,
    read_interchanges,
    write_940,
    write_945,
    write_997,
)
from tests.connectors.edi.builders import make_advice, make_envelope, make_order

VALID_FILES = [
    write_945([make_advice("A"), make_advice("B")], make_envelope()),
    write_940([make_order("A")], make_envelope(version="005010")),
    write_997(
        FunctionalAck("OW", "1", "004010", "A", 1, 1, 1, (SetAck("940", "0001"),)), make_envelope()
    ),
]
EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),
        st.integers(min_value=0, max_value=6),
        st.binary(max_size=6) | st.sampled_from([b"*", b"~", b"\n", b"~\n", b"SE", b"ST*", b""]),
    ),
    min_size=1,
    max_size=4,
)


def damaged(data: bytes, edits) -> bytes:
    for at, length, insert in edits:
        at %= len(data) + 1
        data = data[:at] + insert + data[at + length :]
    return data


def read_everything(data: bytes) -> None:
    """The receiving flow: envelope, then every set of every group (errors are results)."""
    with contextlib.suppress(EnvelopeError):
        for interchange in read_interchanges(data):
            for group in interchange.groups:
                for result in read_group(group):
                    assert (result.document is None) != (result.error is None)


@settings(max_examples=400, deadline=None)
@given(which=st.sampled_from(range(len(VALID_FILES))), edits=EDITS)
def test_property_damaged_files_raise_only_the_specific_errors(which, edits):
    read_everything(damaged(VALID_FILES[which], edits))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_property_bytes_after_a_valid_isa_raise_only_the_specific_errors(data):
    read_everything(VALID_FILES[0][:107] + data)
