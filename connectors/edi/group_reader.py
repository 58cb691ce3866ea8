"""Read every set of a functional group, keeping good sets when others fail.

``read_group(group) -> list[SetResult]`` runs the document reader for each
set's type (940, 945, 846, 997). A set that fails carries its
``DocumentError`` (AK3/AK4 notes) instead of a document; a set type nobody
reads is refused as "not supported" (AK502 = 1). The results, in set order,
are what ``build_997`` acknowledges and what the fulfillment app records.
Reading is pure: the same group gives the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connectors.edi.ack997 import read_997
from connectors.edi.envelope import FunctionalGroup, TransactionSet
from connectors.edi.errors import DocumentError, SetSyntax
from connectors.edi.w846 import read_846
from connectors.edi.w940 import read_940
from connectors.edi.w945 import read_945

Reader = Callable[[TransactionSet], object]
READERS: Mapping[str, Reader] = {
    "940": read_940,
    "945": read_945,
    "846": read_846,
    "997": read_997,
}


@dataclass(frozen=True)
class SetResult:
    """One set's outcome: ``document`` (ShippingAdvice...) or ``error``."""

    transaction_set: TransactionSet
    document: object | None = None
    error: DocumentError | None = None

    @property
    def is_accepted(self) -> bool:
        return self.error is None


def read_group(group: FunctionalGroup, readers: Mapping[str, Reader] = READERS) -> list[SetResult]:
    return [read_set(ts, readers) for ts in group.transaction_sets]


def read_set(ts: TransactionSet, readers: Mapping[str, Reader] = READERS) -> SetResult:
    reader = readers.get(ts.code)
    if reader is None:
        return SetResult(ts, error=_not_supported(ts, readers))
    try:
        return SetResult(ts, document=reader(ts))
    except DocumentError as error:
        return SetResult(ts, error=error)


def _not_supported(ts: TransactionSet, readers: Mapping[str, Reader]) -> DocumentError:
    return DocumentError(
        set_code=ts.code,
        control_number=ts.control_number,
        position=ts.position,
        set_error_codes=(SetSyntax.NOT_SUPPORTED,),
        interchange_control_number=ts.interchange_control_number,
        group_control_number=ts.group_control_number,
        detail=f"transaction set {ts.code!r} is not supported (read: {', '.join(sorted(readers))})",
    )
