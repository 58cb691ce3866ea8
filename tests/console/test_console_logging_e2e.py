"""A real Celery worker with SYNC_LOG_FORMAT=json: its lines parse, a failed posting logs failed."""

import json

import pytest

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.orders.models import ERP_ORDER_POST
from tests.e2e.conftest import (  # noqa: F401 - the end-to-end fixtures, shared
    demo_channel,
    erp,
    logs_dir,
    platform_env,
    sandbox_erp,
    web_server,
)
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import BIN, ServerProcess, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def json_worker(platform_env, logs_dir):  # noqa: F811
    worker = ServerProcess(
        "worker-json-logs",
        [
            str(BIN / "celery"),
            "-A",
            "syncplatform",
            "worker",
            "-Q",
            "realtime",
            "-c",
            "1",
            "-n",
            "json-logs@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env={**platform_env, "SYNC_LOG_FORMAT": "json"},
        log_dir=logs_dir,
    )
    worker.wait_log("ready.", timeout=60)
    yield worker
    worker.process.terminate()
    worker.process.wait(30)


def test_worker_json_lines_say_a_posting_failed_and_name_its_transaction(
    demo_channel,  # noqa: F811
    web_server,  # noqa: F811
    json_worker,
):
    # given: one order that posts and one whose SKU has no mapping
    good = post_order(web_server, demo_channel.api_key, canonical_order("LOG-OK"), "log-ok")
    bad = post_order(
        web_server, demo_channel.api_key, canonical_order("LOG-BAD", sku="BEANIE-RED"), "log-bad"
    )
    assert (good.status_code, bad.status_code) == (202, 202), bad.text

    # when the worker has run both
    wait_for_status(web_server, demo_channel.api_key, good.json()["id"], "posted")
    wait_for_status(web_server, demo_channel.api_key, bad.json()["id"], "failed")
    failed = SyncTransaction.objects.get(kind=ERP_ORDER_POST, business_key="LOG-BAD")
    assert failed.state == TransactionState.FAILED

    def outcome_lines():
        lines = []
        for raw in json_worker.log_path.read_text().splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        found = [line for line in lines if line.get("outcome") in ("failed", "succeeded")]
        return (lines, found) if len(found) >= 2 else None

    lines, found = wait_until(outcome_lines, timeout=30, what="the worker's outcome lines")

    # then: every JSON line parses; the outcome lines name kind, id, key, correlation id
    by_key = {line["business_key"]: line for line in found}
    assert by_key["LOG-BAD"]["outcome"] == "failed"
    assert by_key["LOG-BAD"]["level"] == "ERROR"
    assert by_key["LOG-BAD"]["error_code"] == "mapping_missing"
    assert by_key["LOG-BAD"]["tx_id"] == failed.pk
    assert by_key["LOG-BAD"]["tx_kind"] == ERP_ORDER_POST
    assert by_key["LOG-BAD"]["correlation_id"] == bad.json()["correlation_id"]
    assert by_key["LOG-OK"]["outcome"] == "succeeded"
    # Celery's own "Task … succeeded" line, which said so for the failed posting, is gone.
    assert not any("succeeded in" in line.get("message", "") for line in lines)
