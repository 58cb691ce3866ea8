"""Edit and replay: an operator corrects a failed order, then its posting runs again.

Only an order whose ERP posting failed may be corrected (anything else is the
ERP's or the warehouse's by then), and only its ship-to address and its lines'
SKUs. The change and a note on the posting transaction commit together: the
note says who and when (the event's actor and time) and what, each field's
value before and after, also as JSON in its excerpt. Events are append-only, so
the original values are kept however often the order is corrected. The posting
is then replayed ("Retry now") and runs through the normal runner.
"""

import json
from dataclasses import dataclass

from django.db import transaction

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import replay_transaction

from .choices import OrderStatus
from .models import ERP_ORDER_POST, Order

SHIP_TO_FIELDS = (
    "ship_to_name",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "ship_to_phone",
)


class NotCorrectable(Exception):
    """The correction was refused; the message says why in an operator's words."""


@dataclass(frozen=True)
class Correction:
    """What changed: ``{field: (before, after)}``, fields as "ship_to_city" or "line 2 sku"."""

    order_id: int
    posting_id: int
    changes: dict[str, tuple[str, str]]

    def describe(self) -> str:
        return "; ".join(f"{name}: {old!r} → {new!r}" for name, (old, new) in self.changes.items())


def correct_failed_order(
    order_id: int, *, actor, ship_to: dict[str, str], skus: dict[int, str], reason: str = ""
) -> Correction:
    """Correct a failed order's ship-to fields and line SKUs (by line number), then replay it.

    ``ship_to`` maps ``SHIP_TO_FIELDS`` names to their new values; fields left out
    are kept. Raises ``NotCorrectable`` when the posting is not failed, a field or
    line is unknown, or nothing would change (then nothing is written).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        posting = _failed_posting(order)
        changes = _apply_ship_to(order, ship_to) | _apply_skus(order, skus)
        if not changes:
            raise NotCorrectable("nothing was changed: the order is as it was")
        correction = Correction(order.pk, posting.pk, changes)
        posting.events.create(
            kind=EventKind.NOTE,
            from_state=posting.state,
            to_state=posting.state,
            attempt=posting.attempts,
            actor=actor,
            message=f"order corrected by {actor}: {correction.describe()}"
            + (f" ({reason})" if reason else ""),
            excerpt=json.dumps(
                {"order": order.pk, "changes": {k: list(v) for k, v in changes.items()}},
                ensure_ascii=False,
            ),
        )
        replay_transaction(posting.pk, actor=actor, reason=f"replay after correction by {actor}")
    return correction


def failed_posting_of(order: Order) -> SyncTransaction | None:
    """The order's ERP posting when it failed (the order may be corrected), else None."""
    posting = order.erp_transaction
    if posting is None or posting.state != TransactionState.FAILED:
        return None
    return posting if order.status == OrderStatus.RECEIVED else None


def _failed_posting(order: Order) -> SyncTransaction:
    posting = (
        SyncTransaction.objects.select_for_update()
        .filter(kind=ERP_ORDER_POST, subject_id=order.pk)
        .order_by("pk")
        .first()
    )
    if posting is None or posting.state != TransactionState.FAILED:
        state = posting.state if posting else "not posted yet"
        raise NotCorrectable(
            f"only an order whose ERP posting failed can be corrected; this one is {state}"
        )
    return posting


def _apply_ship_to(order: Order, ship_to: dict[str, str]) -> dict[str, tuple[str, str]]:
    changes = {}
    for name, value in ship_to.items():
        if name not in SHIP_TO_FIELDS:
            raise NotCorrectable(f"{name} is not a ship-to field")
        old = getattr(order, name)
        if old != value:
            changes[name] = (old, value)
            setattr(order, name, value)
    if changes:
        order.save(update_fields=[*changes, "updated_at"])
    return changes


def _apply_skus(order: Order, skus: dict[int, str]) -> dict[str, tuple[str, str]]:
    lines = {line.line_number: line for line in order.lines.select_for_update()}
    changes = {}
    for line_number, sku in skus.items():
        line = lines.get(line_number)
        if line is None:
            raise NotCorrectable(f"order {order.pk} has no line {line_number}")
        if line.sku != sku:
            changes[f"line {line_number} sku"] = (line.sku, sku)
            line.sku = sku
            line.save(update_fields=["sku"])
    return changes
