"""`make run`'s embedded default: SQLite, the filesystem broker and the sandbox ERP."""

import json
import os
import signal
import subprocess

import pytest
import requests

from tests.support.processes import REPO, child_env, free_port, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded_platform(tmp_path):
    web_port, erp_port, sftp_port = free_port(), free_port(), free_port()
    env = child_env(
        PORT=str(web_port),
        SYNC_SANDBOX_ERP_PORT=str(erp_port),
        SYNC_SANDBOX_SFTP_PORT=str(sftp_port),
        SYNC_VAR_DIR=str(tmp_path / "var"),
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        ["deploy/embedded/run.sh"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{web_port}"

    def ready():
        if process.poll() is not None:
            raise AssertionError((tmp_path / "run.log").read_text()[-3000:])
        try:
            return requests.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(ready, timeout=240, interval=0.5, what="the embedded platform to be ready")
        credentials = dict(
            line.split("=", 1)
            for line in (tmp_path / "var" / "demo-credentials.txt").read_text().split()
        )
        yield base_url, credentials
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


def test_embedded_default_takes_the_readme_order_to_the_erp_and_to_shipped(embedded_platform):
    base_url, credentials = embedded_platform
    headers = {
        "Authorization": f"Bearer {credentials['DEMO_API_KEY']}",
        "Idempotency-Key": "readme-1",
        "Content-Type": "application/json",
    }
    body = (REPO / "fixtures" / "demo" / "order.json").read_bytes()

    accepted = requests.post(f"{base_url}/api/v1/orders", data=body, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text

    def posted():
        status = requests.get(
            base_url + accepted.json()["status_url"], headers=headers, timeout=10
        ).json()
        return status if status["status"] == "posted" else None

    status = wait_until(posted, timeout=90, interval=0.5, what="the demo order to be posted")
    assert status["erp_document_number"]
    assert status["channel_order_number"] == json.loads(body)["channel_order_number"]

    def shipped():
        status = requests.get(
            base_url + accepted.json()["status_url"], headers=headers, timeout=10
        ).json()
        return status if status["status"] == "shipped" else None

    # 940 batch (every 10 s) → sandbox warehouse (997, then a 945 after 5 s) → poll (every 5 s)
    status = wait_until(shipped, timeout=150, interval=1, what="the demo order to be shipped")
    assert [line["quantity_shipped"] for line in status["lines"]] == [2]
    admin = requests.Session()
    login = admin.get(f"{base_url}/admin/login/", timeout=10)
    assert login.status_code == 200 and "syncplatform operations" in login.text
