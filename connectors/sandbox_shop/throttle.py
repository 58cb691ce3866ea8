"""Shopify's calculated query cost and its leaky bucket, as the sandbox shop applies them.

Every answer carries ``extensions.cost`` with ``requestedQueryCost``,
``actualQueryCost`` and ``throttleStatus`` (``maximumAvailable``,
``currentlyAvailable``, ``restoreRate``). A request whose cost is above what
the bucket holds now is refused with a ``THROTTLED`` error and costs nothing;
one above the single-query limit (1,000) is refused with
``MAX_COST_EXCEEDED``. Costs follow Shopify's rules closely enough for a
client to plan by: a mutation costs 10, an object field 1, a connection
``first: n`` times its node's cost, scalars nothing.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from graphql.language import FieldNode, IntValueNode, OperationDefinitionNode, VariableNode

MUTATION_COST = 10
SINGLE_QUERY_LIMIT = 1000


@dataclass
class BucketSettings:
    """``is_enabled`` False: nothing is refused, the status always shows a full bucket."""

    is_enabled: bool = True
    maximum: float = 2000.0
    restore_rate: float = 100.0  # points per second (Shopify's standard plan)


class CostBucket:
    """A leaky bucket of query-cost points; thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, settings: BucketSettings, clock: Callable[[], float] = time.monotonic):
        self.settings, self._clock = settings, clock
        self._available = settings.maximum
        self._at = clock()
        self._lock = threading.Lock()

    def reconfigure(self, settings: BucketSettings) -> None:
        with self._lock:
            self.settings = settings
            self._available = settings.maximum
            self._at = self._clock()

    def take(self, cost: int) -> bool:
        """Spend ``cost`` points if the bucket holds them now; False (nothing spent) if not."""
        with self._lock:
            self._refill()
            if not self.settings.is_enabled:
                return True
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def status(self) -> dict:
        with self._lock:
            self._refill()
            available = self._available if self.settings.is_enabled else self.settings.maximum
            return {
                "maximumAvailable": float(self.settings.maximum),
                "currentlyAvailable": int(available),
                "restoreRate": float(self.settings.restore_rate),
            }

    def _refill(self) -> None:
        now = self._clock()
        restored = (now - self._at) * self.settings.restore_rate
        self._available = min(self.settings.maximum, self._available + restored)
        self._at = now


def requested_cost(operation: OperationDefinitionNode, variables: dict) -> int:
    """The cost Shopify would charge for ``operation`` before running it."""
    if operation.operation.value == "mutation":
        return MUTATION_COST * len(operation.selection_set.selections)
    return max(1, sum(_field_cost(field, variables) for field in _fields(operation.selection_set)))


def _fields(selection_set):
    return [
        s for s in (selection_set.selections if selection_set else ()) if isinstance(s, FieldNode)
    ]


def _field_cost(field: FieldNode, variables: dict) -> int:
    if field.selection_set is None:
        return 0
    children = sum(_field_cost(child, variables) for child in _fields(field.selection_set))
    first = _argument(field, "first", variables)
    if isinstance(first, int):
        # A connection: 2, plus what its nodes cost, once per requested node.
        return 2 + first * max(1, children)
    return 1 + children


def _argument(field: FieldNode, name: str, variables: dict):
    for argument in field.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            if isinstance(argument.value, VariableNode):
                return variables.get(argument.value.name.value)
    return None
