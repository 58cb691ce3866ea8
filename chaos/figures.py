"""What the run counts at its end, from the channels' answers, the database, the ERP and SFTP.

- **accepted**: orders answered 2xx; **posted**: those with an ERP document
  number; **lost**: accepted and not posted when the run ended.
- **duplicated in the ERP**: the sandbox ERP's own store (the SQLite file the
  run gave it), counted by our reference ``SP-<order id>``: documents beyond
  one per reference. Also checked: each posted order's document number is the
  one the ERP holds for its reference, and the ERP holds no reference of an
  order we do not have.
- **940 orders sent twice**: in the database, orders in more than one
  shipping order; at the warehouse, orders in more than one 940 set across
  every file it received (``outbound/processed`` and ``rejected``).
- **files applied twice**: inbound interchanges applied more than once (same
  sha256 or ISA13), shipping orders with more than one shipment, and order
  lines shipped beyond their quantity (every order ships once, complete).
- **5xx**: every 5xx answered, and the orders answered 5xx although stored:
  the order is in the database and its first 2xx was a replay (the failed
  request had stored it), or it never got a 2xx at all.
"""

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Count, F

from connectors.edi import read_940, read_group, read_interchanges

SAMPLES = 5


@dataclass
class Figures:
    """Everything the run counted; ``duplicated`` is what the target adds up."""

    orders: int
    accepted: int
    refused: int
    stored: int
    posted: int
    shipped: int
    lost: int
    lost_sample: list[str]
    stored_without_2xx: int
    erp_documents: int
    erp_references: int
    erp_duplicates: int
    erp_mismatches: int
    erp_strays: int
    shipping_orders_twice: int
    warehouse_orders_twice: int
    files_received: int
    files_applied_twice: int
    shipments_twice: int
    lines_overshipped: int
    inbound_left: int
    duplicates_recorded: int
    requests: int
    answers_by_status: dict[str, int]
    server_errors: int
    server_errors_for_stored: int
    server_error_sample: list[str]
    no_answer_for_stored: int
    transactions: dict[str, dict[str, int]]
    failed_sample: list[str]
    held_back_seconds: float = 0.0
    process_exits: dict[str, list[str]] = field(default_factory=dict)

    @property
    def duplicated(self) -> int:
        return (
            self.erp_duplicates
            + max(self.shipping_orders_twice, self.warehouse_orders_twice)
            + self.files_applied_twice
            + self.shipments_twice
        )


def count_everything(load, endpoints, supervisor) -> Figures:
    from syncplatform.orders.models import Order

    rows = {
        key: (pk, number, status)
        for key, pk, number, status in Order.objects.values_list(
            "idempotency_key", "pk", "erp_document_number", "status"
        )
    }
    accepted = [s for s in load.submissions if s.is_accepted]
    lost = [s for s in accepted if not rows.get(s.key, (0, ""))[1]]
    answers = [(s, a) for s in load.submissions for a in s.answers]
    errors = [(s, a) for s, a in answers if a.is_server_error]
    documents, references, duplicates, mismatches, strays = erp_figures(
        endpoints.erp_store, {pk: number for pk, number, _ in rows.values()}
    )
    files_received, files_twice, shipments_twice, overshipped, recorded = file_figures()
    return Figures(
        orders=len(load.submissions),
        accepted=len(accepted),
        refused=sum(1 for s in load.submissions if s.is_refused),
        stored=len(rows),
        posted=sum(1 for _, number, _ in rows.values() if number),
        shipped=sum(1 for *_, status in rows.values() if status == "shipped"),
        lost=len(lost),
        lost_sample=[describe_lost(s, rows.get(s.key)) for s in lost[:SAMPLES]],
        stored_without_2xx=sum(1 for s in load.submissions if s.key in rows and not s.is_accepted),
        erp_documents=documents,
        erp_references=references,
        erp_duplicates=duplicates,
        erp_mismatches=mismatches,
        erp_strays=strays,
        shipping_orders_twice=shipping_orders_twice(),
        warehouse_orders_twice=warehouse_orders_twice(endpoints.warehouse_root),
        files_received=files_received,
        files_applied_twice=files_twice,
        shipments_twice=shipments_twice,
        lines_overshipped=overshipped,
        inbound_left=sum(
            1
            for p in (endpoints.warehouse_root / "inbound").iterdir()
            if not p.name.startswith(".")
        ),
        duplicates_recorded=recorded,
        requests=len(answers),
        answers_by_status=dict(
            sorted(Counter(str(a.status or "no answer") for _, a in answers).items())
        ),
        server_errors=len(errors),
        server_errors_for_stored=sum(1 for s in load.submissions if is_stored_5xx(s, rows)),
        server_error_sample=server_error_groups(errors, rows),
        no_answer_for_stored=sum(
            1
            for s in load.submissions
            if s.key in rows
            and any(a.status is None for a in s.answers)
            and not first_success_was_new(s)
        ),
        transactions=transaction_states(),
        failed_sample=failed_transactions(),
        held_back_seconds=round(load.held_back_seconds, 1),
        process_exits={
            name: service.exits for name, service in supervisor.services.items() if service.exits
        },
    )


def server_error_groups(errors: list, rows: dict) -> list[str]:
    """One line per kind of 5xx (status and problem title): how many, when, one body."""
    groups: dict[tuple, list] = {}
    for submission, answer in errors:
        groups.setdefault((answer.status, problem_title(answer.detail)), []).append(
            (submission, answer)
        )
    return [
        f"{status} {title}: {len(found)} answer(s) at {found[0][1].at:.0f}-{found[-1][1].at:.0f} s"
        f", {sum(1 for s, _ in found if is_stored_5xx(s, rows))} for stored orders;"
        f" first body: {found[0][1].detail}"
        for (status, title), found in groups.items()
    ]


def problem_title(body: str) -> str:
    try:
        return json.loads(body)["title"]
    except (ValueError, KeyError, TypeError):
        return "(not problem JSON)"


def first_success_was_new(submission) -> bool:
    """Whether the first 2xx created the order (so no earlier failed request had stored it)."""
    successes = [a for a in submission.answers if a.status is not None and a.status < 300]
    return bool(successes) and not successes[0].is_replay


def is_stored_5xx(submission, rows: dict) -> bool:
    """Answered 5xx, yet stored by a request that failed (not by a later retry)."""
    return (
        submission.key in rows
        and any(a.is_server_error for a in submission.answers)
        and not first_success_was_new(submission)
    )


def describe_lost(submission, row) -> str:
    from syncplatform.audit.models import SyncTransaction
    from syncplatform.orders.models import ERP_ORDER_POST

    if row is None:
        return f"{submission.number}: accepted but not in the database"
    tx = SyncTransaction.objects.filter(kind=ERP_ORDER_POST, subject_id=row[0]).first()
    if tx is None:
        return f"{submission.number} (order {row[0]}): no posting transaction"
    return (
        f"{submission.number} (order {row[0]}): transaction {tx.pk} {tx.state} after "
        f"{tx.attempts} attempt(s); {tx.last_error_code} {tx.last_error_message[:120]}"
    )


def erp_figures(store: Path, document_of_order: dict[int, str]) -> tuple[int, int, int, int, int]:
    """(documents, references, documents beyond one per reference, mismatches, strays)."""
    from connectors.erp.sandbox.store import document_number_for
    from syncplatform.orders.models import order_id_of_reference

    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT external_reference, count(*), min(id) FROM sales_order"
            " GROUP BY external_reference"
        ).fetchall()
    connection.close()
    documents = sum(n for _, n, _ in rows)
    mismatches = strays = 0
    for reference, _, first_id in rows:
        order_id = order_id_of_reference(reference)
        if order_id not in document_of_order:
            strays += 1
        elif document_of_order[order_id] not in ("", document_number_for(first_id)):
            mismatches += 1
    return documents, len(rows), documents - len(rows), mismatches, strays


def shipping_orders_twice() -> int:
    from syncplatform.fulfillment.models import ShippingOrder

    return ShippingOrder.objects.values("order_id").annotate(n=Count("id")).filter(n__gt=1).count()


def warehouse_orders_twice(root: Path) -> int:
    """Depositor orders that reached the warehouse in more than one 940 set."""
    seen: Counter = Counter()
    outbound = root / "outbound"
    for path in [*outbound.glob("processed/*"), *outbound.glob("rejected/*")]:
        try:
            interchanges = read_interchanges(path.read_bytes())
        except Exception:  # noqa: S112 - a file the warehouse could not read either
            continue
        for interchange in interchanges:
            for group in interchange.groups:
                if group.functional_id != "OW":
                    continue
                for result in read_group(group, {"940": read_940}):
                    if result.document is not None:
                        seen[result.document.depositor_order_number] += 1
    return sum(1 for n in seen.values() if n > 1)


def file_figures() -> tuple[int, int, int, int, int]:
    """(inbound files received, applied twice, orders shipped twice, lines over-shipped,
    duplicates recorded and skipped)."""
    from syncplatform.fulfillment.choices import Direction, InterchangeState
    from syncplatform.fulfillment.models import Interchange, Shipment
    from syncplatform.orders.models import OrderLine

    inbound = Interchange.objects.filter(direction=Direction.INBOUND)
    applied = inbound.filter(duplicate_of__isnull=True, state=InterchangeState.APPLIED)
    twice = sum(
        applied.exclude(**{column: ""})
        .values(column)
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
        for column in ("sha256", "isa_control_number")
    )
    shipped_twice = (
        Shipment.objects.values("shipping_order_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    return (
        inbound.count(),
        twice,
        shipped_twice.count(),
        OrderLine.objects.filter(quantity_shipped__gt=F("quantity")).count(),
        inbound.filter(duplicate_of__isnull=False).count(),
    )


def transaction_states() -> dict[str, dict[str, int]]:
    from syncplatform.audit.models import SyncTransaction

    states: dict[str, dict[str, int]] = {}
    for row in SyncTransaction.objects.values("kind", "state").annotate(n=Count("id")):
        states.setdefault(row["kind"], {})[row["state"]] = row["n"]
    return dict(sorted(states.items()))


def failed_transactions() -> list[str]:
    from syncplatform.audit.choices import TransactionState
    from syncplatform.audit.models import SyncTransaction

    failed = SyncTransaction.objects.filter(state=TransactionState.FAILED).order_by("pk")
    return [
        f"{tx.kind} {tx.business_key}: {tx.last_error_code} {tx.last_error_message[:160]}"
        for tx in failed[:SAMPLES]
    ]
