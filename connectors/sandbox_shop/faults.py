"""Faults the sandbox shop injects: user errors on chosen SKUs, 5xx, lost answers, latency.

Set on the command line or through ``POST /_sandbox/config`` (JSON, any subset):

- ``fail_skus``: SKUs whose variants are refused by ``productSet`` and
  ``productVariantsBulkUpdate`` with a user error on ``fail_field``
  (``barcode`` by default), code ``INVALID_VARIANT`` / ``INVALID_INPUT``;
- ``fail_rate``: the same for this share of all SKUs, chosen by a hash of the
  SKU, so a given SKU fails every time (tests can name them in advance:
  :meth:`FaultSettings.fails`);
- ``error_rate``: share of requests answered 503 before anything is done;
- ``lose_answer_rate``: share of mutation requests that are carried out and
  then answered 502, the "the shop did it, the caller never heard" case;
- ``latency_ms``: slept before every GraphQL request;
- ``outage``: every GraphQL request answered 503.
"""

import hashlib
import random
from dataclasses import asdict, dataclass, field, fields


@dataclass
class FaultSettings:
    fail_skus: frozenset[str] = field(default_factory=frozenset)
    fail_rate: float = 0.0
    fail_field: str = "barcode"
    error_rate: float = 0.0
    lose_answer_rate: float = 0.0
    latency_ms: int = 0
    outage: bool = False

    def fails(self, sku: str | None) -> bool:
        """True when a variant with ``sku`` is refused with a user error."""
        if sku is None:
            return False
        if sku in self.fail_skus:
            return True
        if self.fail_rate <= 0:
            return False
        digest = hashlib.sha256(sku.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < self.fail_rate

    def roll(self, rate: float, dice: random.Random) -> bool:
        return rate > 0 and dice.random() < rate

    def as_json(self) -> dict:
        document = asdict(self)
        document["fail_skus"] = sorted(self.fail_skus)
        return document

    def changed(self, document: dict) -> "FaultSettings":
        """A copy with the keys of ``document`` changed; ValueError names a bad key or value."""
        known = {f.name: f for f in fields(self)}
        values = asdict(self)
        for name, value in document.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}")
            values[name] = _checked(name, value)
        return FaultSettings(**values)


def _checked(name: str, value):
    if name == "fail_skus":
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ValueError("fail_skus must be a list of strings")
        return frozenset(value)
    if name in ("fail_rate", "error_rate", "lose_answer_rate"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number from 0 to 1")
        return float(value)
    if name == "latency_ms":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("latency_ms must be a whole number of milliseconds >= 0")
        return value
    if name == "outage":
        if not isinstance(value, bool):
            raise ValueError("outage must be true or false")
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value
