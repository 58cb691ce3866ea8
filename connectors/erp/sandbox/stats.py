"""How many ERP requests the sandbox is serving at once, and the most it ever served.

Counted across every gunicorn worker process: the counters live in shared
memory made before the workers fork (``ConcurrencyGauge()`` in the master),
so ``GET /_sandbox/stats`` from any worker tells the same story. A request is
counted from the moment the application gets it until its reply is built; one
still waiting in the listen backlog is not (the sandbox can serve at most
workers x threads at once, 16 by default).
"""

import multiprocessing
from contextlib import contextmanager


class ConcurrencyGauge:
    """Requests in flight, their peak and their total, shared by the processes forked after it."""

    def __init__(self):
        self._lock = multiprocessing.Lock()
        self._in_flight = multiprocessing.RawValue("q", 0)
        self._peak = multiprocessing.RawValue("q", 0)
        self._total = multiprocessing.RawValue("q", 0)

    @contextmanager
    def counting(self):
        with self._lock:
            self._in_flight.value += 1
            self._total.value += 1
            self._peak.value = max(self._peak.value, self._in_flight.value)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight.value -= 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "in_flight": self._in_flight.value,
                "peak_concurrency": self._peak.value,
                "requests": self._total.value,
            }

    def reset(self) -> dict:
        """Start counting the peak and the total again (from the requests in flight now)."""
        with self._lock:
            self._peak.value = self._in_flight.value
            self._total.value = 0
        return self.snapshot()
