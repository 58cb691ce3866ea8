"""Open failures grouped by what would fix them (see ``causes``).

Reads the failed transactions through the state index (``tx_due_idx``): failed
rows wait for a person and stay few, however large the table grows. A failure
with several causes (an order missing two SKU mappings) is in each of their
groups: fixing either is progress, and retrying it after the first fix names
only the gap that is left.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps

from syncplatform.audit import registry
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction

from .causes import Cause, Failure, causes_of

# More failed rows than this are grouped in part, and the page says so.
MAX_FAILURES_READ = 20_000


@dataclass
class FailureGroup:
    cause: Cause
    transaction_ids: list[int] = field(default_factory=list)
    oldest: datetime | None = None
    sample_message: str = ""

    @property
    def key(self) -> str:
        return self.cause.key

    @property
    def count(self) -> int:
        return len(self.transaction_ids)

    @property
    def noun(self) -> str:
        """What the group's transactions carry: "orders", "interchanges", "transactions"."""
        try:
            model = apps.get_model(registry.kind(self.cause.kind).subject)
        except (registry.UnknownKind, LookupError, ValueError):
            return "transactions"
        meta = model._meta
        return str(meta.verbose_name if self.count == 1 else meta.verbose_name_plural)

    @property
    def headline(self) -> str:
        return f"{self.count} {self.noun}: {self.cause.title}"


def open_failures(limit: int = MAX_FAILURES_READ) -> list[Failure]:
    rows = (
        SyncTransaction.objects.filter(state=TransactionState.FAILED)
        .order_by("pk")
        .values_list(
            "pk",
            "kind",
            "last_error_code",
            "last_error_message",
            "partner_id",
            "partner__code",
            "finished_at",
        )[:limit]
    )
    return [
        Failure(pk, kind, code, message, partner_id, partner_code or "", finished_at)
        for pk, kind, code, message, partner_id, partner_code, finished_at in rows
    ]


def failure_groups(failures: list[Failure] | None = None) -> list[FailureGroup]:
    """Every open failure's groups, the largest first (then the oldest)."""
    groups: dict[str, FailureGroup] = {}
    for failure in open_failures() if failures is None else failures:
        for cause in causes_of(failure):
            group = groups.setdefault(cause.key, FailureGroup(cause))
            group.transaction_ids.append(failure.id)
            group.sample_message = group.sample_message or failure.message
            if failure.finished_at and (group.oldest is None or failure.finished_at < group.oldest):
                group.oldest = failure.finished_at
    return sorted(
        groups.values(),
        key=lambda g: (-g.count, g.oldest.timestamp() if g.oldest else 0, g.cause.title),
    )


def failure_group(key: str) -> FailureGroup | None:
    """The open group with ``key``, or None (fixed, resolved, or never existed)."""
    return next((group for group in failure_groups() if group.key == key), None)
