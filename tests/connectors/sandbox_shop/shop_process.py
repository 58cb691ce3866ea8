"""The sandbox shop as a real subprocess (gunicorn on a free loopback port), for any test."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.processes import PYTHON, ServerProcess, child_env, free_port

TOKEN = "shpat_sandbox_test_token"


@dataclass
class SandboxShopProcess:
    url: str
    token: str
    process: ServerProcess

    def graphql_url(self, version: str = "2026-10") -> str:
        return f"{self.url}/admin/api/{version}/graphql.json"

    def graphql(self, query: str, variables: dict | None = None, *, version="2026-10", token=None):
        return requests.post(
            self.graphql_url(version),
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token or self.token},
            timeout=10,
        )

    def configure(self, **settings) -> dict:
        response = requests.post(f"{self.url}/_sandbox/config", json=settings, timeout=5)
        response.raise_for_status()
        return response.json()

    def records(self, sku: str | None = None) -> dict:
        params = {"sku": sku} if sku else {}
        return requests.get(f"{self.url}/_sandbox/records", params=params, timeout=10).json()

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=5).json()

    def reset(self, **settings) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=5).raise_for_status()
        self.configure(
            fail_skus=[],
            fail_rate=0.0,
            error_rate=0.0,
            lose_answer_rate=0.0,
            latency_ms=0,
            outage=False,
            throttle={"is_enabled": True, "maximum": 2000.0, "restore_rate": 100.0},
        )
        if settings:
            self.configure(**settings)

    def variants(self) -> list[dict]:
        return [v for p in self.records()["products"] for v in p["variants"]]


@contextmanager
def running_sandbox_shop(log_dir: Path, *options: str) -> Iterator[SandboxShopProcess]:
    port = free_port()
    process = ServerProcess(
        "sandbox-shop",
        [PYTHON, "-m", "connectors.sandbox_shop", "--bind", f"127.0.0.1:{port}", *options],
        env=child_env(SANDBOX_SHOP_TOKEN=TOKEN),
        log_dir=log_dir,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        process.wait_http(f"{url}/_sandbox/health")
        yield SandboxShopProcess(url, TOKEN, process)
    finally:
        process.stop()


# Fixtures for any test package's conftest to import: one shop per test module, with
# the demo's locations WEB-DC and STORE-017, emptied before each test.
@pytest.fixture(scope="module")
def shop_server(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("sandbox-shop")
    with running_sandbox_shop(log_dir, "--location", "WEB-DC", "--location", "STORE-017") as shop:
        yield shop


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    return shop_server
