"""Shopify's cost throttle, as a client plans by it.

Shopify answers every Admin GraphQL call with ``extensions.cost``: the cost
it charged and ``throttleStatus`` -- ``maximumAvailable`` (the bucket),
``currentlyAvailable`` (what is left now) and ``restoreRate`` (points per
second). :class:`CostGauge` keeps the last status with the time it was read,
estimates what the bucket holds later (``available + elapsed * restoreRate``,
capped at the maximum) and tells the client how long to sleep before a call
of a given cost, so the bucket never runs dry. A ``THROTTLED`` answer (which
costs nothing) is handled the same way: wait until the refused cost is back.
The clock is injectable, and no wait is a loop: one sleep of the computed time.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleStatus:
    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions) -> "ThrottleStatus | None":
        """The status in an answer's ``extensions``, or None when it has none."""
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not isinstance(status, dict):
            return None
        try:
            return cls(
                float(status["maximumAvailable"]),
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class CostGauge:
    """The bucket as last reported; ``wait_before(cost)`` keeps it from running dry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._status: ThrottleStatus | None = None
        self._read_at = 0.0

    @property
    def status(self) -> ThrottleStatus | None:
        return self._status

    def record(self, status: ThrottleStatus | None) -> None:
        if status is not None:
            self._status, self._read_at = status, self._clock()

    def available_now(self) -> float | None:
        if self._status is None:
            return None
        restored = (self._clock() - self._read_at) * self._status.restore_rate
        return min(self._status.maximum, self._status.available + restored)

    def wait_before(self, cost: float) -> float:
        """Seconds to wait so that ``cost`` points are in the bucket (0: go now).

        Before the first answer nothing is known, so the first call goes at
        once; a cost above the whole bucket waits for a full bucket.
        """
        available = self.available_now()
        if available is None or self._status.restore_rate <= 0:
            return 0.0
        needed = min(cost, self._status.maximum)
        if available >= needed:
            return 0.0
        return (needed - available) / self._status.restore_rate
