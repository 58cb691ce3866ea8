"""Child server processes for benchmarks, the chaos run and end-to-end tests.

Start, wait until ready, stop or kill. Each process writes its output to a log
file (kept after the run: read it when something fails) and runs in its own
process group, so stopping it also stops gunicorn's or Celery's children.
This is the one implementation: ``tests/support/processes.py`` uses it with
``AssertionError`` as its failure, so a test fails instead of a run aborting.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
LOG_DIR = REPO / "var" / "bench" / "logs"


class BenchSetupError(Exception):
    """A server did not come up; the message says which and shows its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    what: str = "condition",
    interval: float = 0.1,
    failure: type[Exception] = BenchSetupError,
):
    """Poll ``predicate`` until it returns something truthy, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def child_env(**overrides: str) -> dict:
    env = dict(os.environ)
    env.update(overrides)
    return env


class ServerProcess:
    """A server started for one run; its output goes to ``log_dir/<name>.log``.

    ``failure`` is the exception raised when it exits early or never gets ready;
    ``append`` keeps what earlier processes of the same name wrote to the log.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict,
        log_dir: Path = LOG_DIR,
        failure: type[Exception] = BenchSetupError,
        append: bool = False,
    ):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name, self.failure = name, failure
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab" if append else "wb")  # noqa: SIM115 - see stop()
        self.process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise self.failure(
                f"{self.name} exited with {self.process.returncode}; "
                f"end of {self.log_path}:\n{self.log_tail()}"
            )

    assert_running = check_running

    def wait_http(self, url: str, timeout: float = 30) -> None:
        def answers():
            self.check_running()
            try:
                return requests.get(url, timeout=1).status_code < 500
            except requests.RequestException:
                return False

        wait_until(answers, timeout=timeout, what=f"{self.name} at {url}", failure=self.failure)

    def wait_log(self, text: str, timeout: float = 60) -> None:
        def logged():
            self.check_running()
            return text in self.log_path.read_text(errors="replace")

        wait_until(
            logged,
            timeout=timeout,
            what=f"{self.name} to log {text!r}",
            interval=0.02,
            failure=self.failure,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, like a lost machine."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM the process group, SIGKILL after ``timeout`` seconds; safe to repeat."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()
