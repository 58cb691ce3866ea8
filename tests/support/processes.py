"""Real server processes for end-to-end tests: start, wait until ready, stop or kill."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "condition",
):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ServerProcess:
    """A child process with its output in a log file (read it when a test fails)."""

    def __init__(self, name: str, argv: list[str], *, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
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

    def assert_running(self):
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def wait_http(self, url: str, timeout: float = 30):
        def answers():
            self.assert_running()
            try:
                return requests.get(url, timeout=1).status_code < 500
            except requests.RequestException:
                return False

        wait_until(answers, timeout=timeout, what=f"{self.name} at {url}")

    def wait_log(self, text: str, timeout: float = 30):
        def logged():
            self.assert_running()
            return text in self.log_path.read_text(errors="replace")

        wait_until(logged, timeout=timeout, what=f"{self.name} to log {text!r}")

    def kill(self):
        """SIGKILL the whole process group: no cleanup, like a lost machine."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self, timeout: float = 15):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()


def child_env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(overrides)
    return env
