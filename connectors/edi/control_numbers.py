"""Control numbers (ISA13, GS06, ST02 and their trailers) compared as partners send them.

Partners drop the zero padding in trailers (``IEA*1*3438`` closing ISA13
``000003438``), so control numbers that are all digits are equal as numbers;
any other text is compared as text. Pure functions, no state.
"""

from __future__ import annotations


def same_control_number(sent: str, expected: str) -> bool:
    """Equal as numbers when both are digits (zero padding dropped), else as text."""
    if sent.isascii() and sent.isdigit() and expected.isascii() and expected.isdigit():
        return int(sent) == int(expected)
    return sent == expected


def repeated(seen: dict[object, int], number: str, position: int) -> int | None:
    """Record ``number`` at ``position``; the position of an earlier equal one, else None.

    Equal as in :func:`same_control_number`: ``0001`` repeats ``1``.
    """
    earlier = seen.setdefault(_key(number), position)
    return None if earlier == position else earlier


def _key(number: str) -> object:
    return int(number) if number.isascii() and number.isdigit() else number


def count_distinct(numbers: list[str]) -> int:
    """How many different control numbers ``numbers`` holds, compared as :func:`repeated` does.

    Runs once per group over thousands of sets, so the usual case -- all
    digits, all one width, where equal as text is equal as numbers -- is
    settled with C-level set, join and map calls.
    """
    distinct = len(set(numbers))
    if distinct < len(numbers):
        return distinct
    joined = "".join(numbers)
    if joined.isascii() and joined.isdigit() and len(set(map(len, numbers))) <= 1:
        return distinct
    return len({_key(number) for number in numbers})
