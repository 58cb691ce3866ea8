"""One chaos run: start the stack, post the orders while the faults hit, wait, count, tear down.

The run is bounded by ``Plan.deadline_seconds`` from its first second,
set-up and tear-down included: the faults stop being started, the clients
stop retrying and the wait for the backlog ends early enough to count and
tear down in time. A watchdog tears down and exits the process if the run is
still going a minute past the deadline, whatever it is stuck in.
"""

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections

from chaos.faults import DeadlineReached, FaultRecord, FaultScript
from chaos.figures import Figures, count_everything
from chaos.load import OrderLoad
from chaos.plan import Plan
from chaos.progress import Progress, cleared_at
from chaos.stack import ChaosStack

TEARDOWN_RESERVE_SECONDS = 45  # counting, then stopping a dozen processes
WATCHDOG_GRACE_SECONDS = 60


class Clock:
    """Seconds since the run started."""

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.started


@dataclass
class Outcome:
    plan: Plan
    faults: list[FaultRecord]
    figures: Figures | None = None
    last_fault_ended: float | None = None
    intake_ended: float | None = None
    backlog_orders: int = 0  # stored by the end of the last fault
    # Seconds after the last fault: those orders (the faults' backlog) ...
    backlog_posted: float | None = None
    backlog_clear: float | None = None  # ... posted and shipped: the target
    # ... and every order, those the channels sent after the last fault too.
    all_posted: float | None = None
    all_clear: float | None = None
    notes: list[str] = field(default_factory=list)


def run(plan: Plan, folder: Path) -> Outcome:
    clock = Clock()
    stack = ChaosStack(folder, lease_seconds=plan.lease_seconds, clock=clock)
    watchdog = threading.Timer(
        plan.deadline_seconds + WATCHDOG_GRACE_SECONDS, _give_up, args=(stack,)
    )
    watchdog.daemon = True
    watchdog.start()
    work_until = plan.deadline_seconds - TEARDOWN_RESERVE_SECONDS
    load = progress = None
    faults = FaultScript(
        stack, plan, clock=clock, deadline=work_until,
        intake_share=lambda: load.started / plan.orders,
    )  # fmt: skip
    outcome = Outcome(plan, faults.records)
    try:
        endpoints = stack.start()
        progress = Progress(clock=clock)
        load = OrderLoad(
            endpoints.web, endpoints.api_key, plan.orders,
            clients=plan.clients, rate=plan.rate, clock=clock,
            hold_back=lambda: progress.waiting() > plan.max_waiting,
        )  # fmt: skip
        progress.load = load
        load.start()
        progress.start()
        try:
            faults.run()
        except DeadlineReached:
            outcome.notes.append("the deadline came before every fault had run")
        outcome.last_fault_ended = faults.last_fault_ended
        progress.mark_backlog()
        _wait(load.is_done, clock=clock, until=work_until)
        load.stop()
        outcome.intake_ended = load.finished_at
        drained_after = max(outcome.last_fault_ended or 0.0, outcome.intake_ended or 0.0)
        _wait(lambda: _backlog_clear(progress, after=drained_after), clock=clock, until=work_until)
        progress.stop()
        _time_backlog(outcome, progress)
        # Counted once nothing moves any more, or an order posted meanwhile would be
        # counted as lost by one query and as posted by the next.
        outcome.notes += stack.stop()
        connections.close_all()  # this thread's connection may date from before a restart
        outcome.figures = count_everything(load, endpoints, stack.supervisor)
    finally:
        if load is not None:
            load.stop()
        if progress is not None:
            progress.stop()
        outcome.notes += stack.stop()
        watchdog.cancel()
    return outcome


def _wait(predicate, *, clock: Clock, until: float) -> bool:
    """Poll ``predicate`` until it holds, or ``until`` seconds into the run; whether it held."""
    while not predicate():
        if clock() > until:
            return False
        time.sleep(0.5)
    return True


def _backlog_clear(progress: Progress, *, after: float) -> bool:
    """Every stored order shipped, in a sample taken after ``after`` seconds."""
    sample = progress.latest()
    return sample is not None and sample.at > after and sample.shipped == sample.stored


def _time_backlog(outcome: Outcome, progress: Progress) -> None:
    """When the faults' backlog, then every order, had been posted and shipped."""
    fault = outcome.last_fault_ended
    if fault is None:
        return

    def since(at: float | None) -> float | None:
        return None if at is None else at - fault

    samples = progress.samples
    outcome.backlog_orders = samples[-1].marked if samples else 0
    outcome.backlog_posted = since(
        cleared_at(samples, after=fault, field="marked_posted", of="marked")
    )
    outcome.backlog_clear = since(
        cleared_at(samples, after=fault, field="marked_shipped", of="marked")
    )
    if outcome.intake_ended is not None:
        after = max(fault, outcome.intake_ended)
        outcome.all_posted = since(cleared_at(samples, after=after, field="posted"))
        outcome.all_clear = since(cleared_at(samples, after=after, field="shipped"))


def _give_up(stack: ChaosStack) -> None:
    print("chaos: still running a minute past the deadline; tearing down and exiting", flush=True)
    try:
        stack.stop()
    finally:
        os._exit(3)
