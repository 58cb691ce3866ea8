"""Benchmark: order intake throughput, the real endpoint against a baseline in the same server.

One gunicorn (``syncplatform.wsgi`` with ``DJANGO_SETTINGS_MODULE=bench.settings``:
production settings plus the baseline URL; gthread, 2 workers x 8 threads --
a process per core and a thread per client connection, which measured best of
sync 5, gthread 4x4 and 2x8 here) serves both endpoints, so their set-up is the same:

* intake: ``POST /api/v1/orders`` -- API key, Idempotency-Key, canonical-order
  validation, idempotency look-ups, order + line + audit transaction + event
  in one database transaction, publish to RabbitMQ after commit;
* baseline: ``POST /bench/baseline-intake`` -- the same DRF stack, key check
  and serializer, then 3 plain INSERTs in one transaction (bench/baseline_intake.py).

Load: ``wrk`` (C, so the two cores stay with the server), 16 connections,
every request a new order number and Idempotency-Key. After a warm-up the two
endpoints are measured alternately, ``--rounds`` times each. Requests/s is
total requests over total time; p50 is the mean of the rounds' p50s, p99 the
worst round's p99. Targets: intake >= 0.6x baseline throughput, intake p99 < 100 ms.
Afterwards the stored rows are checked against the 202 responses counted,
and the CPU milliseconds each part of the stack spent per request are printed
(bench/cpu.py): on a shared machine they say more than requests/s do.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/intake.py [--seconds 10 --rounds 2]``).
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

from bench.cpu import CpuMeter, cpu_per_item, stack_cpu_ms, stack_meter  # noqa: E402
from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import BIN, REPO, ServerProcess, child_env, free_port  # noqa: E402
from bench.stack import prepare_database, purge_realtime_queue, require_real_services  # noqa: E402

INTAKE_PATH = "/api/v1/orders"
BASELINE_PATH = "/bench/baseline-intake"
LUA_SCRIPT = Path(__file__).resolve().parent / "intake.lua"
DEMO_ORDER = REPO / "fixtures" / "demo" / "order.json"
NUMBER_PLACEHOLDER = "@@ORDER-NUMBER@@"
THROUGHPUT_TARGET = 0.6
P99_TARGET_MS = 100
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
    tables = {
        "orders": "orders_order",
        "transactions": "audit_synctransaction",
        "baseline orders": "bench_baseline_order",
    }
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            counts = {}
            for label, table in tables.items():
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
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


def check_stored(side: Side, warmup: LoadRun, stored: int, connections: int) -> list[str]:
    """Problems with what one endpoint stored against what it answered; empty when right.

    wrk stops with up to ``connections`` requests in flight whose responses it
    never counts but the server may still commit, so per run up to that many
    more rows than 202s are expected -- never fewer.
    """
    runs = [warmup, *side.runs]
    accepted = sum(run.accepted for run in runs)
    problems = []
    unexpected = {s: n for run in runs for s, n in run.statuses.items() if s != 202}
    if unexpected:
        problems.append(f"{side.name}: non-202 answers {unexpected}")
    if sum(run.socket_errors for run in runs):
        problems.append(f"{side.name}: {sum(r.socket_errors for r in runs)} socket errors/timeouts")
    if not accepted <= stored <= accepted + connections * len(runs):
        problems.append(f"{side.name}: {accepted} answered 202 but {stored} stored")
    print(f"{side.name}: {accepted} answered 202, {stored} stored (in flight at cut-off aside)")
    return problems


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per measured run (10)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per endpoint (2)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up per endpoint (3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (16)")
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


def verify(database_url: str, sides: dict[str, Side], warmups, published: int, connections):
    """Every correctness problem found in what the endpoints stored and published."""
    stored = stored_counts(database_url)
    problems = [
        *check_stored(
            sides["baseline"], warmups["baseline"], stored["baseline orders"], connections
        ),
        *check_stored(sides["intake"], warmups["intake"], stored["orders"], connections),
    ]
    if stored["transactions"] != stored["orders"]:
        problems.append(f"{stored['orders']} orders but {stored['transactions']} transactions")
    if published != stored["orders"]:
        problems.append(f"{stored['orders']} orders but {published} messages on the queue")
    print(f"intake published {published} posting messages (purged: no worker in this benchmark)")
    return problems


def latency_floor(sides: dict[str, Side], connections: int) -> str:
    """What Little's law makes of the p99 target on this machine.

    Closed-loop clients each wait for their answer, so mean latency is
    connections / throughput: a p99 under the target needs at least
    connections / target requests/s even if every request took the same time.
    Throughput in turn cannot exceed the cores divided by the stack's CPU per
    request. Printed so a missed p99 can be told from a slow endpoint.
    """
    needed = connections / (P99_TARGET_MS / 1000)
    cores = os.cpu_count() or 1
    ceilings = ", ".join(
        f"{side.name} {cores * 1000 / side.stack_cpu_ms:,.0f} req/s" for side in sides.values()
    )
    return (
        f"latency floor: {connections} waiting clients need > {needed:,.0f} req/s for a mean "
        f"(let alone a p99) under {P99_TARGET_MS} ms; {cores} cores at the measured stack CPU "
        f"per request allow at most {ceilings}"
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
        f"{arguments.threads} threads; wrk: {arguments.connections} connections",
        flush=True,
    )
    endpoints = {"baseline": base_url + BASELINE_PATH, "intake": base_url + INTAKE_PATH}
    meter = stack_meter({"web": web.process.pid}, "wrk")
    try:
        warmups, runs = measure(
            LoadGenerator(wrk, api_key, arguments.connections, meter), endpoints, arguments
        )
    finally:
        web.stop()
    sides = {name: Side(name, name_runs) for name, name_runs in runs.items()}
    problems = verify(database_url, sides, warmups, purge_realtime_queue(), arguments.connections)
    for side in sides.values():
        print(side.cpu_per_request())
    cpu_ratio = sides["baseline"].stack_cpu_ms / sides["intake"].stack_cpu_ms
    print(
        f"CPU ratio {cpu_ratio:.2f}x (baseline's stack CPU per request / intake's): "
        "where the throughput ratio tends when nothing else loads the machine"
    )
    print(latency_floor(sides, arguments.connections))
    for problem in problems:
        print(f"CORRECTNESS PROBLEM: {problem}")
    baseline, intake = sides["baseline"], sides["intake"]
    ratio = intake.rate / baseline.rate
    announce(
        Comparison(
            name="intake",
            measured=intake.describe(),
            baseline=baseline.describe(),
            ratio=ratio,
            targets=[
                Target(f"throughput >= {THROUGHPUT_TARGET}x baseline", ratio >= THROUGHPUT_TARGET),
                Target(f"p99 < {P99_TARGET_MS} ms", intake.p99_ms < P99_TARGET_MS),
                Target("every order stored once, no errors", not problems),
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
