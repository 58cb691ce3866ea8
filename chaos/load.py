"""Channels posting orders through the REST API the way a careful client does.

Each order is the demo order under its own number (``CHAOS-000001`` ...) and
Idempotency-Key. The clients (threads) share one pace: an order is sent no
sooner than ``1 / rate`` seconds after the one before. They hold back while
``hold_back()`` says the platform is behind (the run asks: more than
``Plan.max_waiting`` stored orders not yet posted), so a busy machine slows
the intake instead of piling up a backlog that no fault made. Anything but an
answer of 2xx or 4xx (a 5xx, a refused or reset connection, a timeout) is
tried again with the same key and body, after 0.5, 1, 2, then every 4
seconds, until answered or the load is stopped. Every answer is kept, so the
figures can tell which 5xx was given for an order that was in fact stored:
its retry is answered as a replay (``Idempotent-Replayed: true``).
"""

import contextlib
import json
import threading
from dataclasses import dataclass, field

import requests

from bench.servers import REPO

DEMO_ORDER = json.loads((REPO / "fixtures" / "demo" / "order.json").read_text())
RETRY_DELAYS = (0.5, 1, 2, 4)
TIMEOUT_SECONDS = 30
HOLD_BACK_POLL_SECONDS = 0.5
DETAIL_CHARS = 300


@dataclass(frozen=True)
class Answer:
    """One try: when (seconds into the run), the status (None: no answer) and why, if not 2xx."""

    at: float
    status: int | None
    is_replay: bool = False
    detail: str = ""

    @property
    def is_server_error(self) -> bool:
        return self.status is not None and self.status >= 500


@dataclass
class Submission:
    """One order as its channel saw it: every try, and the order id once accepted."""

    number: str
    answers: list[Answer] = field(default_factory=list)
    order_id: int | None = None  # from the 2xx body

    @property
    def key(self) -> str:
        return f"chaos-{self.number}"

    @property
    def is_accepted(self) -> bool:
        return bool(self.answers) and self.answers[-1].status in range(200, 300)

    @property
    def is_refused(self) -> bool:
        return bool(self.answers) and self.answers[-1].status in range(400, 500)


class OrderLoad:
    """``count`` orders posted by ``clients`` threads at ``rate`` orders/s in all."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        count: int,
        *,
        clients: int,
        rate: float,
        clock,
        hold_back=lambda: False,
    ):
        self.url = f"{base_url}/api/v1/orders"
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.submissions = [Submission(f"CHAOS-{n:06d}") for n in range(1, count + 1)]
        self.clients, self.rate, self.clock, self.hold_back = clients, rate, clock, hold_back
        self.stopping = threading.Event()
        self.started_at = self.finished_at = None
        self.held_back_seconds = 0.0
        self._next = self._running = 0
        self._next_send_at = 0.0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.started_at = self.clock()
        self._threads = [
            threading.Thread(target=self._client, name=f"chaos-client-{n}", daemon=True)
            for n in range(self.clients)
        ]
        self._running = len(self._threads)
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(TIMEOUT_SECONDS + 5)

    def is_done(self) -> bool:
        return all(not thread.is_alive() for thread in self._threads)

    @property
    def started(self) -> int:
        """Orders whose first try has begun (the intake's progress, whatever the answers)."""
        return self._next

    @property
    def accepted(self) -> int:
        return sum(1 for submission in self.submissions if submission.is_accepted)

    def _take(self) -> tuple[int, float] | None:
        """The next order and when to send it, once the platform is not too far behind."""
        while self.hold_back() and not self.stopping.is_set():
            self.stopping.wait(HOLD_BACK_POLL_SECONDS)
            with self._lock:
                self.held_back_seconds += HOLD_BACK_POLL_SECONDS / self.clients
        with self._lock:
            if self._next >= len(self.submissions):
                return None
            send_at = max(self._next_send_at, self.clock())
            self._next_send_at = send_at + 1 / self.rate
            self._next += 1
            return self._next - 1, send_at

    def _client(self) -> None:
        session = requests.Session()
        while not self.stopping.is_set():
            taken = self._take()
            if taken is None:
                break
            index, send_at = taken
            if self.stopping.wait(max(0.0, send_at - self.clock())):
                break
            self._submit(session, self.submissions[index])
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self.finished_at = self.clock()

    def _submit(self, session: requests.Session, submission: Submission) -> None:
        document = {**DEMO_ORDER, "channel_order_number": submission.number}
        body = json.dumps(document)
        headers = {**self.headers, "Idempotency-Key": submission.key}
        attempt = 0
        while True:
            answer = self._post(session, submission, body, headers)
            submission.answers.append(answer)
            if answer.status is not None and answer.status < 500:
                return  # accepted, or refused: the same request again cannot help
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            attempt += 1
            if self.stopping.wait(delay):
                return

    def _post(self, session, submission: Submission, body: str, headers: dict) -> Answer:
        try:
            response = session.post(self.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            session.close()  # a half-dead keep-alive connection must not be reused
            return Answer(self.clock(), None, detail=f"{type(error).__name__}: {error}")
        if response.status_code >= 300:
            return Answer(self.clock(), response.status_code, detail=response.text[:DETAIL_CHARS])
        # Without an id it still counts as accepted; the figures find the order by its key.
        with contextlib.suppress(ValueError, KeyError, TypeError):
            submission.order_id = int(response.json()["id"])
        is_replay = response.headers.get("Idempotent-Replayed") == "true"
        return Answer(self.clock(), response.status_code, is_replay)
