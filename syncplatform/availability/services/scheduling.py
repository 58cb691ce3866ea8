"""Queue the available-to-sell that a change touched, in chunks that are their own transactions.

Each chunk is a ``RecomputeChunk`` row with an ``availability.recompute``
transaction (batch lane), published after the surrounding commit; the runner
makes failures visible and retries them by the kind's policy.
"""

from collections.abc import Iterable, Sequence

from syncplatform.audit.services import open_transaction
from syncplatform.partners.models import Partner

from ..choices import AVAILABILITY_RECOMPUTE
from ..models import RecomputeChunk

# Keys per chunk: one chunk of a warehouse's materials reads its positions,
# mappings, open orders and shipments in a handful of set-based queries and
# writes only the rows that changed, well inside a task's lease.
RECOMPUTE_CHUNK = 1000


def _chunks(values: Iterable[str], size: int) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def schedule_stock_recompute(
    warehouse: Partner, materials: Iterable[str], *, cause: str, correlation_id: str
) -> list[RecomputeChunk]:
    """Queue every channel SKU mapped to ``materials`` at every location ``warehouse`` serves.

    Call inside the database transaction that changed the stock; nothing is
    published unless it commits.
    """
    chunks = [
        RecomputeChunk(cause=cause, warehouse=warehouse, materials=part)
        for part in _chunks(materials, RECOMPUTE_CHUNK)
    ]
    return _open(chunks, warehouse, correlation_id)


def schedule_sku_recompute(
    channel: Partner, location: str, skus: Iterable[str], *, cause: str, correlation_id: str
) -> list[RecomputeChunk]:
    """Queue a channel location's ``skus``."""
    chunks = [
        RecomputeChunk(cause=cause, channel=channel, channel_location=location, skus=part)
        for part in _chunks(skus, RECOMPUTE_CHUNK)
    ]
    return _open(chunks, channel, correlation_id)


def _open(chunks: Sequence[RecomputeChunk], partner: Partner, correlation_id: str):
    if not chunks:
        return []
    RecomputeChunk.objects.bulk_create(chunks)
    for number, chunk in enumerate(chunks, start=1):
        open_transaction(
            kind=AVAILABILITY_RECOMPUTE,
            partner=partner,
            business_key=f"{partner.code} {_scope(chunk)} ({number} of {len(chunks)})"[:120],
            correlation_id=correlation_id[:64],
            subject=chunk,
            message=f"available-to-sell to recompute after {chunk.get_cause_display()}: "
            f"{_scope(chunk)}",
        )
    return list(chunks)


def _scope(chunk: RecomputeChunk) -> str:
    if chunk.channel_id:
        return f"{len(chunk.skus)} SKU(s) at {chunk.channel_location} ({_range(chunk.skus)})"
    return f"{len(chunk.materials)} material(s) ({_range(chunk.materials)})"


def _range(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{values[0]} … {values[-1]}"
