"""Benchmark: order intake, the real endpoint against a baseline in the same server.

One gunicorn (``syncplatform.wsgi`` with ``DJANGO_SETTINGS_MODULE=bench.settings``:
production settings plus the baseline URL; gthread, 2 workers x 8 threads --
a process per core and a thread per client connection, which measured best of
sync 5, gthread 4x4 and 2x8 here) serves both endpoints, so their set-up is the same:

* intake: ``POST /api/v1/orders`` -- API key, Idempotency-Key, canonical-order
  validation, order + lines + audit transaction + event in one database
  transaction (idempotency is the unique constraints'), publish to RabbitMQ after commit;
* baseline: ``POST /bench/baseline-intake`` -- the same DRF stack, key check
  and serializer, then 3 plain INSERTs in one transaction (bench/baseline_intake.py).

Two measurements, every request a new order number and Idempotency-Key:

1. **Closed loop, maximum throughput**: ``wrk`` (C, so the two cores stay with
   the server), 16 connections. After a warm-up the two endpoints are measured
   alternately, ``--rounds`` times each. Requests/s is total requests over total
   time; p50 is the mean of the rounds' p50s, p99 the worst round's p99.
   Target: intake >= 0.6x the baseline's throughput.
2. **Open loop, latency at a fixed arrival rate** (issue 13): bench/open_loop.py
   sends at a constant ``--open-share`` (50 %) of the baseline's closed-loop
   maximum, timing each request from its scheduled send time as wrk2 does, so a
   stalled server's delay is counted in full. Both endpoints are driven at that
   same rate, alternately, ``--rounds`` times; the baseline's figures show what
   the generator and the machine add. Percentiles are over every request of the
   rounds. Target: intake p99 < 50 ms.

Afterwards the stored rows are checked against the 202 responses counted,
and the CPU milliseconds each part of the stack spent per request are printed
(bench/cpu.py): on a shared machine they say more than requests/s do.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/intake.py [--seconds 10 --rounds 2 --open-seconds 15]``).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

import psycopg2  # noqa: E402 - after the path fix above

from bench.cpu import (  # noqa: E402
    CpuMeter,
    cpu_per_item,
    reaped_children_cpu_seconds,
    stack_cpu_ms,
    stack_meter,
)
from bench.open_loop import OpenLoopRun, OpenLoopSide, run_child  # noqa: E402
from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import BIN, REPO, ServerProcess, child_env, free_port  # noqa: E402
from bench.stack import prepare_database, purge_realtime_queue, require_real_services  # noqa: E402

INTAKE_PATH = "/api/v1/orders"
BASELINE_PATH = "/bench/baseline-intake"
LUA_SCRIPT = Path(__file__).resolve().parent / "intake.lua"
DEMO_ORDER = REPO / "fixtures" / "demo" / "order.json"
NUMBER_PLACEHOLDER = "@@ORDER-NUMBER@@"
THROUGHPUT_TARGET = 0.6
OPEN_P99_TARGET_MS = 50
NO_ERP = "http://127.0.0.1:9"  # the intake never calls the ERP; only the worker would
BASELINE_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS bench_baseline_order (
    id bigserial PRIMARY KEY,
    channel_order_number varchar(80) NOT NULL,
    idempotency_key varchar(255) NOT NULL,
    grand_total numeric(14, 2) NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench_baseline_line (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL,
    sku varchar(80) NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(14, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS bench_baseline_event (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL,
    message text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
"""
"""The baseline view's tables (bench/baseline_intake.py); never in the project's migrations."""


@dataclass(frozen=True)
class LoadRun:
    """One wrk run against one endpoint."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    cpu_seconds: dict[str, float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)


@dataclass(frozen=True)
class Side:
    """All measured runs of one endpoint, summarised as the module docstring says."""

    name: str
    runs: list[LoadRun]

    @property
    def rate(self) -> float:
        return sum(r.requests for r in self.runs) / sum(r.seconds for r in self.runs)

    @property
    def p50_ms(self) -> float:
        return sum(r.p50_ms for r in self.runs) / len(self.runs)

    @property
    def p99_ms(self) -> float:
        return max(r.p99_ms for r in self.runs)

    def describe(self) -> str:
        return f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"

    @property
    def cpu_seconds(self) -> dict[str, float]:
        return {
            name: sum(run.cpu_seconds[name] for run in self.runs)
            for name in self.runs[0].cpu_seconds
        }

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def stack_cpu_ms(self) -> float:
        return stack_cpu_ms(self.cpu_seconds, self.requests)

    def cpu_per_request(self) -> str:
        """CPU milliseconds per request for each part of the stack (see bench/cpu.py)."""
        return f"{self.name} CPU ms per request: {cpu_per_item(self.cpu_seconds, self.requests)}"


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: install it (apt-get install wrk) and run again")
    print("installing wrk (apt-get) ...", flush=True)
    env = child_env(DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("apt-get installed wrk but it is not on PATH")


def order_body_parts() -> tuple[str, str]:
    """The demo order as JSON, split where each request puts its order number."""
    order = json.loads(DEMO_ORDER.read_text())
    order["channel_order_number"] = NUMBER_PLACEHOLDER
    head, _, tail = json.dumps(order).partition(NUMBER_PLACEHOLDER)
    return head, tail


@dataclass(frozen=True)
class LoadGenerator:
    """wrk with the intake script: 2 threads, ``connections`` clients, a new order each request."""

    wrk: str
    api_key: str
    connections: int
    meter: CpuMeter

    def run(self, url: str, prefix: str, seconds: float) -> LoadRun:
        head, tail = order_body_parts()
        command = [
            self.wrk,
            "--threads",
            "2",
            "--connections",
            str(self.connections),
            "--duration",
            f"{seconds:g}s",
            "--timeout",
            "10s",
            "--script",
            str(LUA_SCRIPT),
            url,
            "--",
            prefix,
            self.api_key,
            head,
            tail,
        ]
        self.meter.start()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        cpu = self.meter.stop()
        lines = [ln for ln in completed.stdout.splitlines() if ln.startswith("WRK-RESULT ")]
        if completed.returncode != 0 or not lines:
            sys.exit(
                f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
            )
        result = json.loads(lines[-1].removeprefix("WRK-RESULT "))
        return LoadRun(
            requests=result["requests"],
            seconds=result["duration_us"] / 1e6,
            p50_ms=result["p50_us"] / 1000,
            p99_ms=result["p99_us"] / 1000,
            socket_errors=result["socket_errors"],
            statuses={int(status): count for status, count in result["statuses"].items()},
            cpu_seconds=cpu,
        )


@dataclass(frozen=True)
class OpenLoadGenerator:
    """bench/open_loop.py at a fixed rate; meters the stack and the generator's own CPU."""

    api_key: str
    connections: int
    meter: CpuMeter
    cpu_seconds: dict[str, list[dict[str, float]]]  # per endpoint, one entry per run
    generator_cpu_seconds: dict[str, float]

    def run(self, name: str, url: str, prefix: str, rate: float, seconds: float) -> OpenLoopRun:
        head, tail = order_body_parts()
        generator_before = reaped_children_cpu_seconds()
        self.meter.start()
        run = run_child(
            url,
            rate=rate,
            seconds=seconds,
            connections=self.connections,
            api_key=self.api_key,
            body_head=head,
            body_tail=tail,
            prefix=prefix,
        )
        self.cpu_seconds.setdefault(name, []).append(self.meter.stop())
        spent = reaped_children_cpu_seconds() - generator_before
        self.generator_cpu_seconds[name] = self.generator_cpu_seconds.get(name, 0) + spent
        return run

    def cpu_per_request(self, side: OpenLoopSide) -> str:
        runs = self.cpu_seconds[side.name]
        total = {name: sum(run[name] for run in runs) for name in runs[0]}
        generator_ms = self.generator_cpu_seconds[side.name] / side.requests * 1000
        return (
            f"{side.name} open loop CPU ms per request: {cpu_per_item(total, side.requests)}; "
            f"the generator {generator_ms:.2f}"
        )


def start_web(database_url: str, arguments) -> tuple[ServerProcess, str]:
    port = free_port()
    server = ServerProcess(
        "web-intake",
        [
            str(BIN / "gunicorn"),
            "syncplatform.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(arguments.workers),
            "--worker-class",
            arguments.worker_class,
            "--threads",
            str(arguments.threads),
            "--backlog",
            "256",
        ],
        env=child_env(
            DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="bench.settings", DJANGO_DEBUG="0"
        ),
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    return server, base_url


def stored_counts(database_url: str) -> dict[str, int]:
    """Rows the two endpoints stored, to compare with the responses counted."""
    queries = {
        "orders": "SELECT count(*) FROM orders_order",
        # load_demo opens transactions of other kinds (the demo catalog's); only postings count.
        "transactions": "SELECT count(*) FROM audit_synctransaction WHERE kind = 'erp.order.post'",
        "baseline orders": "SELECT count(*) FROM bench_baseline_order",
    }
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            counts = {}
            for label, query in queries.items():
                cursor.execute(query)
                counts[label] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()


def create_baseline_tables(database_url: str) -> None:
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(BASELINE_TABLES_SQL)
    finally:
        connection.close()


def check_stored(
    name: str, closed: list[LoadRun], open_runs: list[OpenLoopRun], stored: int, connections: int
) -> list[str]:
    """Problems with what one endpoint stored against what it answered; empty when right.

    wrk stops with up to ``connections`` requests in flight whose responses it
    never counts but the server may still commit, so per closed-loop run up to
    that many more rows than 202s are expected -- never fewer. The open loop
    awaits every request it sent, so its 202s are exact.
    """
    accepted = sum(run.accepted for run in closed) + sum(run.accepted for run in open_runs)
    problems = []
    statuses = [*(run.statuses for run in closed), *(run.statuses for run in open_runs)]
    unexpected = {s: n for counts in statuses for s, n in counts.items() if s != 202}
    if unexpected:
        problems.append(f"{name}: non-202 answers {unexpected}")
    if socket_errors := sum(run.socket_errors for run in closed):
        problems.append(f"{name}: {socket_errors} socket errors/timeouts (closed loop)")
    if open_errors := [run.errors for run in open_runs if run.errors]:
        problems.append(f"{name}: open-loop errors {open_errors}")
    if not accepted <= stored <= accepted + connections * len(closed):
        problems.append(f"{name}: {accepted} answered 202 but {stored} stored")
    print(
        f"{name}: {accepted} answered 202 ({sum(r.accepted for r in open_runs)} of them in "
        f"the open loop), {stored} stored (closed-loop requests in flight at cut-off aside)"
    )
    return problems


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per measured run (10)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per endpoint (2)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up per endpoint (3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument(
        "--open-share", type=float, default=0.5, help="open-loop rate / baseline's maximum (0.5)"
    )
    parser.add_argument(
        "--open-rate",
        type=float,
        help="open-loop req/s, fixed (to compare changes: the baseline's maximum varies by run)",
    )
    parser.add_argument("--open-seconds", type=float, default=15, help="per open-loop run (15)")
    parser.add_argument(
        "--open-connections", type=int, default=32, help="open-loop connections (32)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    return parser.parse_args()


def measure(load: LoadGenerator, endpoints: dict[str, str], arguments):
    """Warm up each endpoint, then measure them alternately; (warm-ups, measured runs)."""
    warmups = {name: load.run(url, f"W{name}", arguments.warmup) for name, url in endpoints.items()}
    runs = {name: [] for name in endpoints}
    for round_number in range(1, arguments.rounds + 1):
        for name, url in endpoints.items():
            run = load.run(url, f"R{round_number}{name}", arguments.seconds)
            runs[name].append(run)
            print(
                f"round {round_number} {name}: {run.rate:,.0f} req/s, "
                f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms",
                flush=True,
            )
    return warmups, runs


def measure_open_loop(load: OpenLoadGenerator, endpoints: dict[str, str], rate, arguments):
    """Drive each endpoint at ``rate``, alternately, ``--rounds`` times; runs per endpoint."""
    runs = {name: [] for name in endpoints}
    for round_number in range(1, arguments.rounds + 1):
        for name, url in endpoints.items():
            run = load.run(name, url, f"O{round_number}{name}", rate, arguments.open_seconds)
            runs[name].append(run)
            print(f"open round {round_number} {name}: {OpenLoopSide(name, [run]).describe()}")
    return {name: OpenLoopSide(name, name_runs) for name, name_runs in runs.items()}


def verify(database_url: str, warmups, closed, open_sides, published: int, connections):
    """Every correctness problem found in what the endpoints stored and published."""
    stored = stored_counts(database_url)
    problems = []
    for name, label in (("baseline", "baseline orders"), ("intake", "orders")):
        problems += check_stored(
            name,
            [warmups[name], *closed[name].runs],
            open_sides[name].runs,
            stored[label],
            connections,
        )
    if stored["transactions"] != stored["orders"]:
        problems.append(f"{stored['orders']} orders but {stored['transactions']} transactions")
    if published != stored["orders"]:
        problems.append(f"{stored['orders']} orders but {published} messages on the queue")
    print(f"intake published {published} posting messages (purged: no worker in this benchmark)")
    return problems


def utilisation(rate: float, sides: dict[str, Side]) -> str:
    """How busy the open-loop rate keeps the cores, at each endpoint's stack CPU per request.

    Queueing grows steeply with utilisation: a server busy 80 % of the time makes
    a request wait some four service times on average. The closed loop's CPU
    figures are used (more requests, so steadier); other load on a shared
    machine comes on top.
    """
    cores = os.cpu_count() or 1
    parts = ", ".join(
        f"{side.name} {rate * side.stack_cpu_ms / (cores * 1000):.0%}" for side in sides.values()
    )
    return f"at {rate:,.0f} req/s the stack keeps {cores} cores busy: {parts}"


def open_rate_basis(arguments) -> str:
    """How the open-loop rate was chosen: the issue's share of the baseline, or fixed."""
    if arguments.open_rate:
        return "a fixed rate (--open-rate), not the target's share of the baseline's maximum"
    return f"{arguments.open_share:.0%} of the baseline's maximum"


def report(
    closed: dict[str, Side], open_sides: dict[str, OpenLoopSide], problems, arguments
) -> None:
    """The verdict lines and BENCH-RESULT: closed-loop throughput ratio, open-loop p99."""
    baseline, intake = closed["baseline"], closed["intake"]
    ratio = intake.rate / baseline.rate
    open_p99 = open_sides["intake"].p99_ms
    announce(
        Comparison(
            name="intake",
            measured=f"{intake.describe()}; {open_sides['intake'].describe()}",
            baseline=f"{baseline.describe()}; {open_sides['baseline'].describe()}",
            ratio=ratio,
            targets=[
                Target(
                    f"closed-loop throughput >= {THROUGHPUT_TARGET}x baseline",
                    ratio >= THROUGHPUT_TARGET,
                ),
                Target(
                    f"open-loop p99 < {OPEN_P99_TARGET_MS} ms at "
                    f"{open_sides['intake'].runs[0].rate:,.0f} req/s "
                    f"({open_rate_basis(arguments)}), measured {open_p99:.1f} ms",
                    open_p99 < OPEN_P99_TARGET_MS,
                ),
                Target("every order stored once, no errors", not problems),
            ],
        )
    )


def main() -> int:
    arguments = parse_arguments()
    require_real_services()
    wrk = ensure_wrk()
    database_url, api_key = prepare_database(NO_ERP)
    create_baseline_tables(database_url)
    purge_realtime_queue()
    web, base_url = start_web(database_url, arguments)
    print(
        f"gunicorn: {arguments.workers} x {arguments.worker_class} workers, "
        f"{arguments.threads} threads; wrk: {arguments.connections} connections; "
        f"open loop: {arguments.open_connections} connections",
        flush=True,
    )
    endpoints = {"baseline": base_url + BASELINE_PATH, "intake": base_url + INTAKE_PATH}
    meter = stack_meter({"web": web.process.pid}, "wrk")
    open_load = OpenLoadGenerator(
        api_key, arguments.open_connections, stack_meter({"web": web.process.pid}), {}, {}
    )
    try:
        warmups, runs = measure(
            LoadGenerator(wrk, api_key, arguments.connections, meter), endpoints, arguments
        )
        closed = {name: Side(name, name_runs) for name, name_runs in runs.items()}
        rate = arguments.open_rate or closed["baseline"].rate * arguments.open_share
        print(f"open loop: {open_rate_basis(arguments)} = {rate:,.0f} req/s")
        open_sides = measure_open_loop(open_load, endpoints, rate, arguments)
    finally:
        web.stop()
    problems = verify(
        database_url, warmups, closed, open_sides, purge_realtime_queue(), arguments.connections
    )
    for side in closed.values():
        print(side.cpu_per_request())
    for side in open_sides.values():
        print(open_load.cpu_per_request(side))
        print(side.generator_health())
    cpu_ratio = closed["baseline"].stack_cpu_ms / closed["intake"].stack_cpu_ms
    print(
        f"CPU ratio {cpu_ratio:.2f}x (baseline's stack CPU per request / intake's): "
        "where the throughput ratio tends when nothing else loads the machine"
    )
    print(utilisation(rate, closed))
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
    for problem in problems:
        print(f"CORRECTNESS PROBLEM: {problem}")
    report(closed, open_sides, problems, arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
