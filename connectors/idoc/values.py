"""Field values as SAP writes them in IDoc-XML, and back.

Every IDoc field is character data. Numbers are decimal text with a point and
SAP's sign after the number (``10.500-``), sometimes with a leading blank
(`` 4.000``); dates are ``YYYYMMDD`` with ``00000000`` for "no date"; times are
``HHMMSS``. The parsers raise ``ValueError`` with a detail for people; the
segment accessors turn it into an ``InvalidValueError`` naming the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_NO_DATE = "00000000"


def parse_decimal(text: str) -> Decimal:
    """``'4.000'``, ``' 4.000'``, ``'10.500-'`` or ``'-3'`` as a Decimal."""
    value = text.strip()
    negative = value.endswith("-")
    if negative:
        value = value[:-1].rstrip()
    if not _NUMBER.fullmatch(value) or (negative and value[0] in "+-"):
        raise ValueError(f"{text!r} is not a number")
    number = Decimal(value)
    return -number if negative else number


def format_decimal(number: Decimal) -> str:
    """SAP's text for a number: no exponent, the sign after it (``'10.5-'``)."""
    if not number.is_finite():
        raise ValueError(f"{number} is not a finite number")
    text = format(abs(number), "f")
    return f"{text}-" if number < 0 else text


def parse_date(text: str) -> date | None:
    """``YYYYMMDD``; empty or ``00000000`` is no date (None)."""
    value = text.strip()
    if not value or value == _NO_DATE:
        return None
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise ValueError(f"{text!r} is not a date YYYYMMDD")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date") from None


def format_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def parse_time(text: str) -> time | None:
    """``HHMMSS``; empty is no time (None)."""
    value = text.strip()
    if not value:
        return None
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        raise ValueError(f"{text!r} is not a time HHMMSS")
    try:
        return time(int(value[:2]), int(value[2:4]), int(value[4:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid time") from None


def format_time(moment: time | datetime) -> str:
    return f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"


def parse_digits(text: str, length: int) -> str:
    """A NUMC value (DOCNUM, POSNR): 1 to ``length`` digits, returned as sent."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > length:
        raise ValueError(f"{text!r} is not a number of at most {length} digits")
    return value


def combine(day: date | None, moment: time | None) -> datetime | None:
    """A date and an optional time as one datetime; no date is None whatever the time."""
    if day is None:
        return None
    return datetime.combine(day, moment or time())
