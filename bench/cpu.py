"""CPU time spent by each part of the stack during a measured run (Linux /proc).

Throughput on a small machine is bounded by CPU, so "where does the time go"
is answered by CPU seconds per request for each server: the web workers,
PostgreSQL (every backend and helper), RabbitMQ, the load generator, and
what the whole machine spent (anything above the sum is other load on a
shared machine, which makes that run's figures less trustworthy).

A process tree's time is the sum over its live members of their own and
their reaped children's time, so short-lived PostgreSQL backends still count.
"""

import os
import resource
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ")" splits cleanly.
    return text[text.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """User + system seconds of a process tree, reaped children included."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields:
            # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat.
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def machine_cpu_seconds() -> float:
    """Busy (non-idle, non-iowait) seconds of all cores since boot."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS


def _pid_from_file(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def service_pids() -> dict[str, int]:
    """PostgreSQL's and RabbitMQ's main pids from deploy/local's state folder, when found."""
    base = Path(os.environ.get("SYNC_SERVICES_DIR", "/nonexistent"))
    found = {
        "postgres": _pid_from_file(base / "postgres" / "data" / "postmaster.pid"),
        "rabbitmq": _pid_from_file(base / "rabbitmq" / "rabbitmq.pid"),
    }
    return {name: pid for name, pid in found.items() if pid}


def reaped_children_cpu_seconds() -> float:
    """User + system seconds of this process's finished children (e.g. each wrk run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stack_meter(trees: dict[str, int], children_label: str | None = None) -> "CpuMeter":
    """A meter for named process trees, PostgreSQL and RabbitMQ (when found), the machine.

    With ``children_label``, this process's finished children (a wrk run, the
    baseline's client processes) are metered under that name.
    """
    sources = {name: (lambda pid=pid: tree_cpu_seconds(pid)) for name, pid in trees.items()}
    for name, pid in service_pids().items():
        sources[name] = lambda pid=pid: tree_cpu_seconds(pid)
    if children_label:
        sources[children_label] = reaped_children_cpu_seconds
    sources["whole machine"] = machine_cpu_seconds
    return CpuMeter(sources)


OUTSIDE_STACK = ("wrk", "whole machine")
"""Metered, but not the system under test: the load generator and the machine as a whole."""


def cpu_per_item(cpu_seconds: dict[str, float], items: int) -> str:
    """``name 1.23, ..., stack 4.56``: CPU milliseconds per item for each metered part."""
    parts = [f"{name} {seconds / items * 1000:.2f}" for name, seconds in cpu_seconds.items()]
    return ", ".join([*parts, f"stack {stack_cpu_ms(cpu_seconds, items):.2f}"])


def stack_cpu_ms(cpu_seconds: dict[str, float], items: int) -> float:
    """CPU milliseconds per item of the system under test (all but OUTSIDE_STACK)."""
    inside = [s for name, s in cpu_seconds.items() if name not in OUTSIDE_STACK]
    return sum(inside) / items * 1000


class CpuMeter:
    """CPU seconds spent by each source between start() and stop().

    ``sources`` maps a name to a function returning cumulative CPU seconds.
    """

    def __init__(self, sources: dict[str, Callable[[], float]]):
        self.sources = sources
        self._started: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: read() for name, read in self.sources.items()}

    def start(self) -> None:
        self._started = self._now()

    def stop(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._started[name] for name in now}
