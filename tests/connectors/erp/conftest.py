"""Start the project's own sandbox ERP as a real subprocess for the tests in this folder.

The sandbox is part of this project, so a fixture starts it (once per test
module) on a free loopback port with its own SQLite store and basic auth, waits
for its health URL, and stops it afterwards.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 20
NO_FAULTS = {"latency_ms": 0, "fault_rate": 0.0, "outage": False, "timeout_after_commit_ms": 0}


@dataclass(frozen=True)
class SandboxErpServer:
    base_url: str
    username: str
    password: str
    log_path: Path | None = None

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}/sap/SalesOrder?wsdl"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/sap/SalesOrder"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def set_faults(self, **settings) -> dict:
        return self.configure(**settings)

    def configure(self, **settings) -> dict:
        """``POST /_sandbox/config``: fault injection, IDoc settings, stock."""
        response = requests.post(
            f"{self.base_url}/_sandbox/config", json=settings, auth=self.auth, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(f"{self.base_url}{path}", params=params, auth=self.auth, timeout=5)

    def documents(self, external_reference: str) -> list[dict]:
        response = requests.get(
            f"{self.base_url}/_sandbox/documents",
            params={"external_reference": external_reference},
            auth=self.auth,
            timeout=5,
        )
        response.raise_for_status()
        return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sandbox ERP exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{base_url}/_sandbox/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    pytest.fail(f"sandbox ERP did not answer within {STARTUP_SECONDS}s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def sandbox_erp(tmp_path_factory) -> SandboxErpServer:
    """A running sandbox ERP (2 workers x 8 threads) with basic auth; stopped after the module."""
    folder = tmp_path_factory.mktemp("sandbox-erp")
    port = _free_port()
    log_path = folder / "server.log"
    server = SandboxErpServer(f"http://127.0.0.1:{port}", "sync-test", "s3cret-test-only", log_path)
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "SANDBOX_ERP_PASSWORD": server.password,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connectors.erp.sandbox",
                "--bind",
                f"127.0.0.1:{port}",
                "--store",
                str(folder / "erp.sqlite"),
                "--user",
                server.username,
            ],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_health(process, server.base_url, log_path)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def erp(sandbox_erp) -> SandboxErpServer:
    """The module's sandbox ERP, with fault injection switched off before and after the test."""
    sandbox_erp.set_faults(**NO_FAULTS)
    yield sandbox_erp
    sandbox_erp.set_faults(**NO_FAULTS)
