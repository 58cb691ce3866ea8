"""An IDoc as SAP models it: a control record and a tree of data segments.

``Idoc`` and ``Segment`` are what the package reader yields and the package
writer takes, whatever the IDoc type. The typed modules (``delvry07``,
``wmmbid02``, ``invoic02``) read their dataclasses from them with the
accessors below, which raise the specific error naming segment and field,
and build them back with ``build_segment``.

* ``Segment``: ``name`` (E1EDL24), ``fields`` (SAP field name -> text with
  the blanks around it stripped, as SAP drops them from CHAR fields; treat
  it as read-only), ``children``, ``number`` (SEGNUM: 1-based position in
  the IDoc, depth first) and ``line`` in the file. ``number`` and ``line``
  are 0/None on a built segment and not part of equality.
* ``Idoc``: ``control`` (``ControlRecord``), ``segments`` (the top-level data
  segments), ``position`` (1-based, in its package) and ``line``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from connectors.idoc.control import ControlRecord
from connectors.idoc.errors import (
    IdocError,
    IdocStructureError,
    InvalidValueError,
    MissingFieldError,
)
from connectors.idoc.values import (
    combine,
    format_date,
    format_decimal,
    format_time,
    parse_date,
    parse_decimal,
    parse_digits,
    parse_time,
)


@dataclass(frozen=True)
class Segment:
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    children: tuple[Segment, ...] = ()
    number: int = field(default=0, compare=False)
    line: int | None = field(default=None, compare=False)

    def count(self) -> int:
        """This segment and all below it."""
        return 1 + sum(child.count() for child in self.children)

    def each(self, name: str) -> tuple[Segment, ...]:
        return tuple(child for child in self.children if child.name == name)

    def only(self, name: str, *, required: bool = False) -> Segment | None:
        """The one child segment called ``name``; refused when repeated (or missing if required)."""
        return _only(self.each(name), name, required, self.line)

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.fields.get(name, "")
        if required and not value:
            raise MissingFieldError("mandatory field is missing", **self._at(name))
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        return self._parsed(parse_decimal, name) if value else None

    def date(self, name: str, *, required: bool = False) -> date | None:
        day = self._parsed(parse_date, name)
        if required and day is None:
            raise MissingFieldError("mandatory date is missing", **self._at(name))
        return day

    def moment(self, date_field: str, time_field: str) -> datetime | None:
        """A date field and its time field as one datetime (None when there is no date)."""
        return combine(self._parsed(parse_date, date_field), self._parsed(parse_time, time_field))

    def digits(self, name: str, length: int, *, required: bool = False) -> str:
        """A NUMC field (item numbers): up to ``length`` digits, kept as text."""
        value = self.text(name, required=required)
        return self._parsed(parse_digits, name, length) if value else ""

    def _parsed(self, parse, name: str, *args):
        try:
            return parse(self.fields.get(name, ""), *args)
        except ValueError as error:
            raise InvalidValueError(str(error), **self._at(name)) from None

    def _at(self, field_name: str) -> dict:
        return {
            "segment": self.name,
            "segment_number": self.number or None,
            "field": field_name,
            "line": self.line,
        }


@dataclass(frozen=True)
class Idoc:
    control: ControlRecord
    segments: tuple[Segment, ...] = ()
    position: int = field(default=0, compare=False)
    line: int | None = field(default=None, compare=False)

    @property
    def segment_count(self) -> int:
        """Data segments, as SAP counts them (the control record is not one)."""
        return sum(segment.count() for segment in self.segments)

    def each(self, name: str) -> tuple[Segment, ...]:
        return tuple(segment for segment in self.segments if segment.name == name)

    def only(self, name: str, *, required: bool = False) -> Segment | None:
        return _only(self.each(name), name, required, self.line)


def _only(
    found: tuple[Segment, ...], name: str, required: bool, line: int | None
) -> Segment | None:
    if len(found) > 1:
        second = found[1]
        raise IdocStructureError(
            f"segment repeated ({len(found)} times); the IDoc type allows one",
            segment=name,
            segment_number=second.number or None,
            line=second.line,
        )
    if not found and required:
        raise IdocStructureError("mandatory segment is missing", segment=name, line=line)
    return found[0] if found else None


FieldValue = str | Decimal | date | time | None


@contextmanager
def building(control: ControlRecord) -> Iterator[None]:
    """Errors raised while building an IDoc's segments name that IDoc."""
    try:
        yield
    except IdocError as error:
        raise error.located(docnum=control.docnum, position=None) from None


def build_segment(
    name: str,
    fields: Iterable[tuple[str, FieldValue]],
    children: Iterable[Segment] = (),
    *,
    required: tuple[str, ...] = (),
    digits: Mapping[str, int] | None = None,
) -> Segment:
    """A segment with its fields in SAP's order; empty values (``""``, None) are left out.

    Decimals, dates and times are written as SAP writes them. The writer
    refuses what the reader would: a field named in ``required`` without a
    value raises ``MissingFieldError``, one in ``digits`` (field -> length,
    the NUMC item numbers) that is not up to that many digits raises
    ``InvalidValueError``.
    """
    values = {}
    for field_name, value in fields:
        text = _field_text(name, field_name, value)
        if text:
            if digits and field_name in digits:
                _checked(parse_digits, text, name, field_name, digits[field_name])
            values[field_name] = text
        elif field_name in required:
            raise MissingFieldError("mandatory field is missing", segment=name, field=field_name)
    return Segment(name, values, tuple(children))


def _checked(parse, text: str, segment: str, field_name: str, *args) -> None:
    try:
        parse(text, *args)
    except ValueError as error:
        raise InvalidValueError(str(error), segment=segment, field=field_name) from None


def moment_fields(
    date_field: str, time_field: str, moment: datetime | None
) -> list[tuple[str, FieldValue]]:
    """A datetime as its date field and its time field (both empty for None)."""
    if moment is None:
        return [(date_field, None), (time_field, None)]
    return [(date_field, moment.date()), (time_field, moment.time())]


def _field_text(segment: str, field_name: str, value: FieldValue) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, Decimal):
        try:
            return format_decimal(value)
        except ValueError as error:
            raise InvalidValueError(str(error), segment=segment, field=field_name) from None
    if isinstance(value, datetime):
        raise TypeError(f"{segment}-{field_name}: split a datetime into its date and time fields")
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return format_time(value)
    raise TypeError(f"{segment}-{field_name}: cannot write a {type(value).__name__}")
