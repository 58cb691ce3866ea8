"""Open-loop HTTP load: a constant arrival rate, latency measured from the scheduled send time.

Closed-loop clients (wrk) send their next request only when the last answer
came, so a server that stalls also stops the clock: the requests that would
have arrived meanwhile are never sent, and their wait is never counted
("coordinated omission"). This generator follows wrk2 instead:
``connections`` keep-alive HTTP/1.1 connections, connection ``k`` sending its
``j``-th request at ``start + (j * connections + k) / rate``, so together they
send at ``rate``. A request that goes out late, because its connection was
still waiting for the previous answer, is still timed from its scheduled
time. Every scheduled request is awaited (up to ``timeout``), so the slowest
are never left out and the answers counted match the rows a server stored.

The generator's own lag is measured too: how late requests left whose
connection was free at their scheduled time. That is the event loop falling
behind, not the server; bench/intake.py prints it beside the latencies.

Run as a child process (its CPU is then metered apart from the server's)::

    python bench/open_loop.py URL --rate 120 --seconds 15 --api-key KEY \\
        --body-head '{"channel_order_number": "' --body-tail '", ...}' --prefix O1

It prints one line ``OPEN-LOOP-RESULT {json}``. Each request is a POST whose
body is ``body-head + number + body-tail`` and whose Idempotency-Key is the
number (``PREFIX-<connection>-<counter>``), so every request is a new order.
"""

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

RESULT_PREFIX = "OPEN-LOOP-RESULT "
IDLE_LAG_ALLOWANCE = 0.001
"""A send up to 1 ms after its scheduled time counts as on time (timer granularity)."""


def scheduled_offsets(rate: float, seconds: float, connections: int, k: int) -> list[float]:
    """Seconds after the start at which connection ``k`` (0-based) sends each of its requests.

    Together the connections send ``rate`` requests a second, evenly spaced,
    every one scheduled before ``seconds``.
    """
    interval, first = connections / rate, k / rate
    count = math.ceil((seconds - first) / interval) if first < seconds else 0
    return [first + j * interval for j in range(count)]


def percentile(sorted_values: list[float], percent: float) -> float:
    """The nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(len(sorted_values) * percent / 100))
    return sorted_values[min(len(sorted_values), rank) - 1]


@dataclass
class Recorder:
    """Latencies (seconds from the scheduled time), statuses, errors and the generator's lag."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    idle_lags: list[float] = field(default_factory=list)
    late_sends: int = 0
    reconnects: int = 0

    def summary(self, rate: float, seconds: float, elapsed: float) -> dict:
        lags = sorted(self.idle_lags)
        return {
            "rate": rate,
            "seconds": seconds,
            "elapsed": elapsed,
            "latencies_ms": [round(latency * 1000, 3) for latency in self.latencies],
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "late_sends": self.late_sends,
            "reconnects": self.reconnects,
            "generator_lag_p99_ms": percentile(lags, 99) * 1000,
            "generator_lag_max_ms": (lags[-1] if lags else 0.0) * 1000,
        }


@dataclass(frozen=True)
class Target:
    """Where the load goes and what each request is: ``request(number)`` gives its bytes."""

    host: str
    port: int
    request: Callable[[str], bytes]


def order_requests(url: str, api_key: str, body_head: str, body_tail: str) -> Target:
    """POSTs of a new order each, as bench/intake.lua sends them."""
    parts = urlsplit(url)
    host, port, path = parts.hostname, parts.port or 80, parts.path or "/"

    def request(number: str) -> bytes:
        body = f"{body_head}{number}{body_tail}".encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: {number}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return Target(host, port, request)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, whether the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", 0)))
    return status, headers.get("connection") != "close"


class Connection:
    """One keep-alive connection that sends its share of the schedule, one request at a time."""

    def __init__(self, target: Target, timeout: float, recorder: Recorder):
        self.target, self.timeout, self.recorder = target, timeout, recorder
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def connect(self) -> None:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.target.host, self.target.port)

    async def exchange(self, payload: bytes) -> int:
        """Send and read the answer; once more on a new connection if a kept one was closed.

        A server closes a keep-alive connection that idled past its timeout
        (gunicorn: 2 s); a request written into it gets no byte back and was
        never read, so it goes again, as browsers and HTTP libraries do.
        """
        reused = self.streams is not None
        try:
            return await self._exchange_once(payload)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            never_answered = not getattr(error, "partial", b"")
            if not (reused and never_answered):
                raise
            self.close()
            self.recorder.reconnects += 1
            return await self._exchange_once(payload)

    async def _exchange_once(self, payload: bytes) -> int:
        await self.connect()
        reader, writer = self.streams
        writer.write(payload)
        await writer.drain()
        status, keep_alive = await read_response(reader)
        if not keep_alive:
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    async def run(self, start: float, offsets: list[float], prefix: str) -> None:
        loop = asyncio.get_running_loop()
        for counter, offset in enumerate(offsets, 1):
            scheduled = start + offset
            if (wait := scheduled - loop.time()) > 0:
                await asyncio.sleep(wait)
                # Free at its time: any lateness now is the generator's, not the server's.
                self.recorder.idle_lags.append(max(0.0, loop.time() - scheduled))
            elif -wait > IDLE_LAG_ALLOWANCE:
                self.recorder.late_sends += 1
            await self.send(self.target.request(f"{prefix}-{counter}"), scheduled)
        self.close()

    async def send(self, payload: bytes, scheduled: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            status = await asyncio.wait_for(self.exchange(payload), self.timeout)
            self.recorder.statuses[status] += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.recorder.errors[type(error).__name__] += 1
            self.close()
        self.recorder.latencies.append(loop.time() - scheduled)


async def drive(
    target: Target, rate: float, seconds: float, connections: int, prefix: str, timeout: float = 10
) -> dict:
    """Send at ``rate`` for ``seconds`` over ``connections``; the summary ``Recorder`` makes."""
    recorder = Recorder()
    pool = [Connection(target, timeout, recorder) for _ in range(connections)]
    await asyncio.gather(*(connection.connect() for connection in pool))  # as wrk does
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.01  # every connection's task is running before the first send
    began = time.monotonic()
    await asyncio.gather(
        *(
            connection.run(start, scheduled_offsets(rate, seconds, connections, k), f"{prefix}-{k}")
            for k, connection in enumerate(pool)
        )
    )
    return recorder.summary(rate, seconds, time.monotonic() - began)


@dataclass(frozen=True)
class OpenLoopRun:
    """One run's result as a parent process reads it from ``OPEN-LOOP-RESULT``."""

    rate: float
    elapsed: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    errors: dict[str, int]
    late_sends: int
    reconnects: int
    generator_lag_p99_ms: float
    generator_lag_max_ms: float

    @classmethod
    def from_line(cls, line: str) -> "OpenLoopRun":
        result = json.loads(line.removeprefix(RESULT_PREFIX))
        fields = {name: result[name] for name in cls.__dataclass_fields__}
        fields["statuses"] = {int(status): n for status, n in result["statuses"].items()}
        return cls(**fields)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)


def run_child(url: str, *, rate: float, seconds: float, connections: int, **orders) -> OpenLoopRun:
    """This script as a child process (``orders``: api_key, body_head, body_tail, prefix)."""
    command = [sys.executable, __file__, url, "--rate", f"{rate:.3f}", "--seconds", f"{seconds:g}"]
    command += ["--connections", str(connections)]
    for name, value in orders.items():
        command += [f"--{name.replace('_', '-')}", value]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [ln for ln in completed.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not lines:
        sys.exit(f"open_loop.py failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return OpenLoopRun.from_line(lines[-1])


@dataclass(frozen=True)
class OpenLoopSide:
    """Every request of one endpoint's runs at one rate; percentiles over all of them."""

    name: str
    runs: list[OpenLoopRun]

    @property
    def requests(self) -> int:
        return sum(len(run.latencies_ms) for run in self.runs)

    def latency_ms(self, percent: float) -> float:
        return percentile(sorted(ms for run in self.runs for ms in run.latencies_ms), percent)

    @property
    def p99_ms(self) -> float:
        return self.latency_ms(99)

    def describe(self) -> str:
        rate = self.runs[0].rate
        spread = ", ".join(f"p{p:g} {self.latency_ms(p):.1f}" for p in (50, 90, 99, 100))
        return f"at {rate:,.0f} req/s open loop: {spread} ms".replace("p100", "max")

    def generator_health(self) -> str:
        """How far the generator itself fell behind, to tell its lag from the server's."""
        late = sum(run.late_sends for run in self.runs)
        lag = max(run.generator_lag_max_ms for run in self.runs)
        lag99 = max(run.generator_lag_p99_ms for run in self.runs)
        reconnects = sum(run.reconnects for run in self.runs)
        return (
            f"{self.name} open loop: {late} of {self.requests} requests left late because "
            f"their connection still waited for an answer; {reconnects} sent again on a new "
            f"connection (the server closed an idle one); the generator's own lag p99 "
            f"{lag99:.1f} ms, max {lag:.1f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True, help="how long to send")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=10, help="per request, seconds")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--body-head", required=True)
    parser.add_argument("--body-tail", required=True)
    parser.add_argument("--prefix", required=True, help="order numbers start with it")
    arguments = parser.parse_args()
    target = order_requests(
        arguments.url, arguments.api_key, arguments.body_head, arguments.body_tail
    )
    summary = asyncio.run(
        drive(
            target,
            arguments.rate,
            arguments.seconds,
            arguments.connections,
            arguments.prefix,
            arguments.timeout,
        )
    )
    print(RESULT_PREFIX + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
