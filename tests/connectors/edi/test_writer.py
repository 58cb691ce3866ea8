"""Property test: the segment writer's fast path writes what cleaning value by value writes."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.edi import Delimiters
from connectors.edi.writer import clean_value, serialize

DELIMITERS = st.sampled_from([Delimiters("*", ">", "~", ""), Delimiters("*", ">", "~", "^")])
# Delimiters, line breaks, Unicode whitespace (\x1c, \xa0) and plain text, in any order.
TEXT = st.text(alphabet=st.sampled_from("AB 1*~>^\n\r\t\x1c\xa0é"), max_size=8)
VALUE = st.one_of(
    TEXT,
    st.none(),
    st.integers(min_value=-5, max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.tuples(TEXT, TEXT | st.none()),
)
SEGMENT = st.tuples(st.sampled_from(["N1", "W01", "N9"]), st.lists(VALUE, max_size=6)).map(
    lambda parts: [parts[0], *parts[1]]
)


def cleaned_one_by_one(segment: list, delimiters: Delimiters) -> str:
    """The writer's contract, spelled out slowly: clean each value, drop trailing empties."""

    def clean(value) -> str:
        if value is None:
            return ""
        if isinstance(value, tuple):
            return delimiters.component.join(clean(part) for part in value)
        return clean_value(str(value), delimiters)

    values = [segment[0], *map(clean, segment[1:])]
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return delimiters.element.join(values)


@settings(max_examples=500, deadline=None)
@given(delimiters=DELIMITERS, segments=st.lists(SEGMENT, min_size=1, max_size=4))
def test_property_segments_are_written_as_if_cleaned_value_by_value(delimiters, segments):
    ending = delimiters.segment + "\n"
    expected = "".join(cleaned_one_by_one(segment, delimiters) + ending for segment in segments)
    assert serialize(segments, delimiters) == expected


def test_given_a_decimal_and_an_int_when_written_then_they_are_plain_numbers():
    delimiters = Delimiters("*", ">", "~", "")
    assert serialize([["W01", Decimal("1.50"), 3, None, ""]], delimiters) == "W01*1.50*3~\n"
