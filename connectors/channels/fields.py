"""Typed reads from decoded JSON that fail with the path of the bad value.

Channel payloads are JSON written by someone else: any key may be missing,
``null`` or of the wrong type. ``PayloadField`` wraps one value together with
its path so that every read either returns the expected Python type or raises
``ChannelPayloadError`` naming that path -- never ``KeyError``/``TypeError``.

Missing and ``null`` are the same thing here (channels use both for "no
value"), and a missing parent makes its children missing too, so optional
chains such as ``order["customer"]["email"]`` read naturally.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.channels.errors import ChannelPayloadError

# Identifiers and counts are bounded so that a hostile payload cannot make
# str(int) blow Python's int-to-str limit or Decimal arithmetic lose digits.
MAX_IDENTIFIER = 10**30
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class PayloadField:
    value: object
    path: str = ""

    @property
    def is_missing(self) -> bool:
        return self.value is None

    def __getitem__(self, key: str) -> PayloadField:
        child_path = f"{self.path}.{key}" if self.path else key
        if self.value is None:
            return PayloadField(None, child_path)
        if not isinstance(self.value, dict):
            raise self.error(f"expected a JSON object, got {_json_type(self.value)}")
        return PayloadField(self.value.get(key), child_path)

    def error(self, problem: str) -> ChannelPayloadError:
        return ChannelPayloadError(self.path, problem)

    def object(self) -> PayloadField:
        """This field, checked to be a JSON object (missing is an error)."""
        if self.value is None:
            raise self.error("missing")
        if not isinstance(self.value, dict):
            raise self.error(f"expected a JSON object, got {_json_type(self.value)}")
        return self

    def entries(self) -> list[PayloadField]:
        """The items of a JSON array (missing → no items)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a JSON array, got {_json_type(self.value)}")
        return [PayloadField(item, f"{self.path}[{n}]") for n, item in enumerate(self.value)]

    def text(self, default: str = "") -> str:
        """A string, stripped; missing or blank → ``default``."""
        if self.value is None:
            return default
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, got {_json_type(self.value)}")
        return self.value.strip() or default

    def required_text(self) -> str:
        value = self.text()
        if not value:
            raise self.error("missing or empty")
        return value

    def identifier(self, default: str = "") -> str:
        """A channel id sent as a JSON number or string, as text."""
        if _is_integer(self.value):
            if not 0 < self.value < MAX_IDENTIFIER:
                raise self.error(f"identifier out of range: {_excerpt(self.value)}")
            return str(self.value)
        return self.text(default)

    def flag(self, default: bool = False) -> bool:
        if self.value is None:
            return default
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_json_type(self.value)}")
        return self.value

    def quantity(self) -> int:
        """A positive whole number of units."""
        if not _is_integer(self.value):
            raise self.error(f"expected a whole number, got {_json_type(self.value)}")
        if not 0 < self.value <= MAX_QUANTITY:
            raise self.error(f"must be between 1 and {MAX_QUANTITY}, got {_excerpt(self.value)}")
        return self.value

    def timestamp(self) -> str:
        """An ISO 8601 date-time with a UTC offset, returned as sent."""
        value = self.required_text()
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.error(f"not an ISO 8601 date-time: {_excerpt(value)}") from None
        if parsed.tzinfo is None:
            raise self.error(f"date-time without a UTC offset: {_excerpt(value)}")
        return value


def _is_integer(value: object) -> bool:
    # bool is an int subclass; JSON true is not a number.
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)


def _excerpt(value: object) -> str:
    if _is_integer(value) and abs(value) >= MAX_IDENTIFIER:
        return "a very large number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
