"""``POST /_sandbox/config``: which settings exist, and what values each accepts.

One JSON object may change any of them at once; unknown names and bad values
are refused (ValueError naming the setting) and then nothing changes.

================================ ==========================================================
fault injection                  ``latency_ms``, ``timeout_after_commit_ms`` (0..600000),
                                 ``fault_rate`` (0..1), ``outage`` (true/false)
IDoc processing                  ``processing_delay_ms``: an IDoc stays at 64 this long
invoices to the platform         ``invoice_push_url`` (http(s), "" for none),
                                 ``invoice_push_username`` / ``invoice_push_password``
                                 (HTTP basic auth when the user name is set),
                                 ``invoice_push_api_key_header`` / ``invoice_push_api_key``
                                 (sent when the key is set), ``invoice_delay_ms`` (from
                                 goods issue to the first push), ``invoice_push_attempts``
                                 (1..20), ``invoice_retry_delay_ms`` (doubled per retry)
stock                            ``stock``: ``[{"material", "plant", "quantity", "unit"}]``
                                 sets these quantities (a string or integer, >= 0; unit
                                 defaults to ``EA``); other stock stays as it is
pricing                          ``price_differences``: ``{"MATERIAL": "0.01", ...}``: the
                                 ERP prices one unit of the material that much above (or,
                                 negative, below) the NetPrice it is sent, so its confirmed
                                 TotalNetAmount differs from the channel's; "0" clears one;
                                 other materials stay as they are (a decimal string with at
                                 most 6 fraction digits)
================================ ==========================================================
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from connectors.erp.sandbox.idoc_records import StockLevel

MAX_DELAY_MS = 600_000
MAX_STOCK_ROWS = 100_000
MAX_TEXT = 200
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")

FAULT_SETTINGS = ("outage", "fault_rate", "latency_ms", "timeout_after_commit_ms")
DELAY_SETTINGS = (
    "latency_ms",
    "timeout_after_commit_ms",
    "processing_delay_ms",
    "invoice_delay_ms",
    "invoice_retry_delay_ms",
)
TEXT_SETTINGS = ("invoice_push_username", "invoice_push_password", "invoice_push_api_key")


@dataclass
class ConfigChanges:
    faults: dict = field(default_factory=dict)
    idoc: dict = field(default_factory=dict)
    stock: list[StockLevel] = field(default_factory=list)
    price_differences: dict[str, Decimal] = field(default_factory=dict)


def config_changes(document) -> ConfigChanges:
    """Check a ``POST /_sandbox/config`` body; ValueError names what is wrong."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    changes = ConfigChanges()
    for name, value in document.items():
        if name == "stock":
            changes.stock = stock_levels(value)
        elif name == "price_differences":
            changes.price_differences = price_differences(value)
        elif not is_valid(name, value):
            raise ValueError(f"invalid value for {name}: {value!r}")
        elif name in FAULT_SETTINGS:
            changes.faults[name] = value
        else:
            changes.idoc[name] = value
    return changes


def is_valid(name: str, value) -> bool:
    """Whether ``value`` is one ``name`` accepts; ValueError for an unknown setting."""
    if name == "outage":
        return isinstance(value, bool)
    if name == "fault_rate":
        return type(value) in (int, float) and 0 <= value <= 1
    if name in DELAY_SETTINGS:
        return type(value) is int and 0 <= value <= MAX_DELAY_MS
    if name == "invoice_push_attempts":
        return type(value) is int and 1 <= value <= 20
    if name == "invoice_push_url":
        return isinstance(value, str) and (value == "" or _is_plain_http_url(value))
    if name == "invoice_push_api_key_header":
        return isinstance(value, str) and HEADER_NAME.fullmatch(value) is not None
    if name in TEXT_SETTINGS:
        return isinstance(value, str) and len(value) <= MAX_TEXT and value.isprintable()
    raise ValueError(f"unknown setting {name!r}")


def _is_plain_http_url(value: str) -> bool:
    """http(s) with a host and no credentials in it (they have settings of their own)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
    )


def stock_levels(rows) -> list[StockLevel]:
    if not isinstance(rows, list) or len(rows) > MAX_STOCK_ROWS:
        raise ValueError(f"stock must be a list of at most {MAX_STOCK_ROWS} objects")
    return [_stock_level(row, number) for number, row in enumerate(rows, start=1)]


def _stock_level(row, number: int) -> StockLevel:
    where = f"stock[{number}]"
    if not isinstance(row, dict) or set(row) - {"material", "plant", "quantity", "unit"}:
        raise ValueError(f"{where}: expected an object with material, plant, quantity, unit")
    material, plant, unit = row.get("material"), row.get("plant"), row.get("unit", "EA")
    for name, value, length in (("material", material, 40), ("plant", plant, 4), ("unit", unit, 3)):
        if not isinstance(value, str) or not 1 <= len(value) <= length or not value.isprintable():
            raise ValueError(f"{where}: {name} must be 1 to {length} characters")
    quantity = row.get("quantity")
    try:
        if type(quantity) not in (str, int):
            raise InvalidOperation
        amount = Decimal(quantity)
    except InvalidOperation:
        raise ValueError(f"{where}: quantity must be a decimal string or an integer") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{where}: quantity must be zero or more, got {quantity!r}")
    return StockLevel(material, plant, amount, unit)


def price_differences(value) -> dict[str, Decimal]:
    """``{"material": "decimal string"}`` checked; ValueError names the bad entry."""
    if not isinstance(value, dict) or len(value) > MAX_STOCK_ROWS:
        raise ValueError(
            f"price_differences must be an object of at most {MAX_STOCK_ROWS} materials"
        )
    differences = {}
    for material, amount in value.items():
        where = f"price_differences[{material!r}]"
        if not 1 <= len(material) <= 40 or not material.isprintable():
            raise ValueError(f"{where}: the material must be 1 to 40 characters")
        try:
            if not isinstance(amount, str):
                raise InvalidOperation
            difference = Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"{where}: expected a decimal string, got {amount!r}") from None
        if not difference.is_finite() or difference.as_tuple().exponent < -6:
            raise ValueError(f"{where}: at most 6 fraction digits, got {amount!r}")
        if abs(difference) >= 10**9:
            raise ValueError(f"{where}: must be less than 1000000000 either way")
        differences[material] = difference
    return differences
