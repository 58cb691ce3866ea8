"""The figures and the targets, printed; the same as JSON for the test that runs the short plan."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from chaos.run import Outcome


@dataclass(frozen=True)
class Target:
    description: str
    is_met: bool


def targets(outcome: Outcome) -> list[Target]:
    figures, plan = outcome.figures, outcome.plan
    if figures is None:
        return [Target("the run reached its counting", False)]
    clear = outcome.backlog_clear
    return [
        Target("0 lost", figures.lost == 0),
        Target("0 duplicated (ERP, 940s, applied files)", figures.duplicated == 0),
        Target("0 5xx for stored orders", figures.server_errors_for_stored == 0),
        Target(
            f"the faults' backlog clear within {plan.backlog_target_seconds:.0f} s of the "
            "last fault",
            clear is not None and clear <= plan.backlog_target_seconds,
        ),
    ]


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f} s"


def print_report(outcome: Outcome) -> None:
    figures = outcome.figures
    print("\n===== chaos: faults =====")
    for fault in outcome.faults:
        ended = "-" if fault.ended is None else f"{fault.ended:.0f}"
        print(f"{fault.started:5.0f}-{ended:>5} s  {fault.name}")
        for note in fault.notes:
            print(f"{'':14}{note}")
    for note in outcome.notes:
        print(f"note: {note}")
    if figures is None:
        print("\nno figures: the run ended before it could count (see above)")
    else:
        _print_figures(outcome, figures)
    print("\n===== chaos: targets =====")
    for target in targets(outcome):
        print(f"{'met' if target.is_met else 'MISSED':<7} {target.description}")


def _print_figures(outcome: Outcome, f) -> None:
    rows = [
        (
            "orders accepted",
            f"{f.accepted:,} of {f.orders:,} ({f.refused} refused with a 4xx; "
            f"{f.stored_without_2xx} stored but never answered 2xx)",
        ),
        ("orders posted", f"{f.posted:,} (stored {f.stored:,}, shipped {f.shipped:,})"),
        ("orders lost", f"{f.lost} (accepted, not posted by the end)"),
        (
            "duplicated in the ERP",
            f"{f.erp_duplicates} ({f.erp_documents:,} documents for {f.erp_references:,} "
            f"references; {f.erp_mismatches} document numbers differ from ours; "
            f"{f.erp_strays} for no order of ours)",
        ),
        (
            "940 orders sent twice",
            f"{max(f.shipping_orders_twice, f.warehouse_orders_twice)} (database: "
            f"{f.shipping_orders_twice} in two shipping orders; warehouse: "
            f"{f.warehouse_orders_twice} in two 940 sets)",
        ),
        (
            "files applied twice",
            f"{f.files_applied_twice} of {f.files_received} inbound files "
            f"({f.shipments_twice} orders shipped twice, {f.lines_overshipped} lines "
            f"over-shipped; {f.duplicates_recorded} duplicates recorded and skipped; "
            f"{f.inbound_left} left in inbound)",
        ),
        ("backlog clear", _backlog(outcome, f)),
        (
            "every order clear",
            f"posted {seconds(outcome.all_posted)}, shipped {seconds(outcome.all_clear)} "
            "after the last fault (with the orders sent after it)",
        ),
        (
            "intake ended",
            f"{_intake_end(outcome)}; the channels held back {f.held_back_seconds:.0f} s "
            f"while over {outcome.plan.max_waiting} orders waited to be posted",
        ),
        ("5xx answered", f"{f.server_errors} ({f.server_errors_for_stored} for stored orders)"),
        ("answers", ", ".join(f"{status}: {n:,}" for status, n in f.answers_by_status.items())),
        ("no answer, stored", f"{f.no_answer_for_stored} orders stored by a request unanswered"),
    ]
    print("\n===== chaos: figures =====")
    for label, text in rows:
        print(f"{label:<23} {text}")
    for line in f.server_error_sample:
        print(f"  5xx: {line}")
    for line in f.lost_sample:
        print(f"  lost: {line}")
    print("transactions at the end:")
    for kind, states in f.transactions.items():
        print(f"  {kind:<20} " + ", ".join(f"{state} {n:,}" for state, n in states.items()))
    for line in f.failed_sample:
        print(f"  failed: {line}")
    for name, exits in f.process_exits.items():
        print(f"process {name} exited: {'; '.join(exits)}")


def _backlog(outcome: Outcome, f) -> str:
    marked = f"the {outcome.backlog_orders:,} orders stored by the last fault's end"
    if outcome.backlog_clear is None:
        return f"{marked}: not shipped by the end ({f.shipped:,} of {f.stored:,} orders shipped)"
    return (
        f"{marked}: posted {seconds(outcome.backlog_posted)}, shipped "
        f"{seconds(outcome.backlog_clear)} after it"
    )


def _intake_end(outcome: Outcome) -> str:
    if outcome.intake_ended is None or outcome.last_fault_ended is None:
        return "-"
    gap = outcome.intake_ended - outcome.last_fault_ended
    return f"{abs(gap):.0f} s {'after' if gap >= 0 else 'before'} the last fault"


def write_json(outcome: Outcome, path: Path) -> None:
    document = {
        "plan": asdict(outcome.plan),
        "faults": [asdict(fault) for fault in outcome.faults],
        "figures": None if outcome.figures is None else asdict(outcome.figures),
        "duplicated": None if outcome.figures is None else outcome.figures.duplicated,
        "last_fault_ended": outcome.last_fault_ended,
        "intake_ended": outcome.intake_ended,
        "backlog_orders": outcome.backlog_orders,
        "backlog_posted": outcome.backlog_posted,
        "backlog_clear": outcome.backlog_clear,
        "all_posted": outcome.all_posted,
        "all_clear": outcome.all_clear,
        "notes": outcome.notes,
        "targets": {t.description: t.is_met for t in targets(outcome)},
    }
    path.write_text(json.dumps(document, indent=1))
