"""The README's commands against a running `make run` (deploy/embedded/run.sh), as typed.

One embedded instance, started as `make run` starts it, is used throughout:

- the README's curl posts the demo order with the key from demo-credentials.txt;
- `manage.py create_api_key` and `manage.py import_mappings`, run by hand in a second
  shell, reach the running instance's database (one var dir, SYNC_VAR_DIR);
- /metrics answers a scrape from loopback;
- Ctrl-C (SIGINT to run.sh's process group, as a terminal sends it) stops every
  process with its own signal handling within the grace period: nothing is SIGKILLed
  and nothing is left running;
- started again, it keeps the demo API key and admin password, with one active demo key.
"""

import contextlib
import io
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import PYTHON, REPO, child_env, free_port, wait_until

pytestmark = pytest.mark.e2e

# honcho's wait between SIGTERM and SIGKILL (deploy/embedded/run.sh passes it on).
STOP_GRACE_SECONDS = 20


class EmbeddedInstance:
    """`make run` in its own process group, as a terminal's foreground job."""

    def __init__(self, var_dir: Path, log_path: Path):
        self.var_dir = var_dir
        self.web_port, erp_port, sftp_port = free_port(), free_port(), free_port()
        self.env = child_env(
            PORT=str(self.web_port),
            SYNC_SANDBOX_ERP_PORT=str(erp_port),
            SYNC_SANDBOX_SFTP_PORT=str(sftp_port),
            SYNC_VAR_DIR=str(var_dir),
            SYNC_STOP_GRACE_SECONDS=str(STOP_GRACE_SECONDS),
        )
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
            self.env.pop(name, None)
        self.env.pop("SYNC_MIGRATE_DATABASE_URL", None)
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.process = None

    def start(self) -> dict[str, str]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["deploy/embedded/run.sh"],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.last_answer = ""
        try:
            wait_until(self._ready, timeout=240, interval=0.5, what="make run to be ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; /readyz said {self.last_answer}") from None
        return self.credentials()

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(self.log_path.read_text()[-3000:])
        try:
            answer = requests.get(f"{self.base_url}/readyz", timeout=2)
        except requests.RequestException as exc:
            self.last_answer = str(exc)
            return False
        self.last_answer = answer.text
        return answer.status_code == 200

    def credentials(self) -> dict[str, str]:
        text = (self.var_dir / "demo-credentials.txt").read_text()
        return dict(line.split("=", 1) for line in text.split())

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """`.venv/bin/python manage.py ARGS` in a second shell, with `make run`'s var dir."""
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def processes(self) -> list[int]:
        """Every live process started for this instance (they all carry its var dir)."""
        marker = f"SYNC_VAR_DIR={self.var_dir}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
        return found

    def interrupt(self) -> float:
        """Ctrl-C: SIGINT to the foreground process group; seconds until run.sh exited."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(STOP_GRACE_SECONDS + 30)
        finally:
            self._log.close()
        return time.monotonic() - started

    def kill_all(self) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def instance(tmp_path):
    running = EmbeddedInstance(tmp_path / "var", tmp_path / "run.log")
    yield running
    running.kill_all()


def post_demo_order(base_url: str, api_key: str, key: str, body: bytes) -> requests.Response:
    return requests.post(
        f"{base_url}/api/v1/orders",
        data=body,
        timeout=30,
        headers={
            "Authorization": f"Bearer {api_key}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
    )


def wait_posted(base_url: str, api_key: str, order_id: int) -> dict:
    def posted():
        body = requests.get(
            f"{base_url}/api/v1/orders/{order_id}",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=10,
        ).json()
        return body if body["status"] == "posted" else None

    return wait_until(posted, timeout=120, interval=1, what=f"order {order_id} posted")


def active_demo_keys(var_dir: Path) -> int:
    with sqlite3.connect(var_dir / "db.sqlite3") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM partners_apiclient WHERE name = 'demo' AND is_active"
        ).fetchone()
    return count


def test_the_readme_commands_reach_a_running_make_run_which_stops_cleanly_and_restarts_same(
    instance, tmp_path
):
    # given `make run`
    credentials = instance.start()
    base_url, key = instance.base_url, credentials["DEMO_API_KEY"]

    # the README's curl posts the demo order, and it is posted
    demo_order = (REPO / "fixtures" / "demo" / "order.json").read_bytes()
    accepted = post_demo_order(base_url, key, "demo-1", demo_order)
    assert accepted.status_code == 202, accepted.text
    assert wait_posted(base_url, key, accepted.json()["id"])["erp_document_number"]

    # `manage.py create_api_key --channel demo-web` prints only a key the running API takes
    created = instance.manage("create_api_key", "--channel", "demo-web")
    assert created.returncode == 0, created.stderr
    new_key = created.stdout.strip()
    assert new_key.startswith("sp_") and "\n" not in new_key
    status = requests.get(
        f"{base_url}/api/v1/orders/{accepted.json()['id']}",
        headers={"Authorization": f"Bearer {new_key}"},
        timeout=10,
    )
    assert status.status_code == 200

    # `manage.py import_mappings sku skus.csv` adds a SKU the running workers then map
    skus = tmp_path / "skus.csv"
    skus.write_text(
        "channel,channel_sku,erp_material,erp_unit\ndemo-web,BEANIE-RED,MAT-400100,EA\n"
    )
    imported = instance.manage("import_mappings", "sku", str(skus))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "1 added" in imported.stdout + imported.stderr
    beanie = demo_order.replace(b'"TSHIRT-BLK-M"', b'"BEANIE-RED"').replace(
        b"WEB-100234", b"WEB-BEANIE-1"
    )
    accepted_beanie = post_demo_order(base_url, key, "beanie-1", beanie)
    assert accepted_beanie.status_code == 202, accepted_beanie.text
    wait_posted(base_url, key, accepted_beanie.json()["id"])

    # /metrics answers loopback on the embedded default
    scraped = requests.get(f"{base_url}/metrics", timeout=30)
    assert scraped.status_code == 200
    names = {family.name for family in text_string_to_metric_families(scraped.text)}
    assert {"syncplatform_transactions_open", "syncplatform_queue_depth"} <= names

    # when Ctrl-C is pressed
    before = instance.processes()
    assert len(before) >= 6, before  # run.sh, honcho, web, workers, beat, ERP, warehouse
    took = instance.interrupt()

    # then every process stopped by its own handling, within the grace period
    log = instance.log_path.read_text()
    assert instance.process.returncode is not None
    assert took < STOP_GRACE_SECONDS + 10, log[-3000:]
    assert "SIGKILL" not in log, log[-3000:]
    assert "rc=-9" not in log, log[-3000:]
    assert "Warm shutdown" in log  # the Celery workers' own shutdown ran
    wait_until(lambda: not instance.processes(), timeout=10, what="no process left")

    # when started again, the key and the password are the same, and one demo key is active
    again = instance.start()
    assert again["DEMO_API_KEY"] == key
    assert again["ADMIN_PASSWORD"] == credentials["ADMIN_PASSWORD"]
    assert again["DEMO_ERP_PUSH_PASSWORD"] == credentials["DEMO_ERP_PUSH_PASSWORD"]
    assert active_demo_keys(instance.var_dir) == 1
    repeat = post_demo_order(base_url, key, "demo-2", demo_order.replace(b"100234", b"100235"))
    assert repeat.status_code == 202, repeat.text
    login = requests.Session()
    page = login.get(f"{base_url}/admin/login/", timeout=10)
    assert page.status_code == 200
    answer = login.post(
        f"{base_url}/admin/login/",
        data={
            "username": "admin",
            "password": again["ADMIN_PASSWORD"],
            "next": "/admin/",
            "csrfmiddlewaretoken": login.cookies["csrftoken"],
        },
        headers={"Referer": f"{base_url}/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    instance.interrupt()


def load_demo(**options) -> dict[str, str]:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo", stdout=out, stderr=io.StringIO(), **options)
    return dict(line.split("=", 1) for line in out.getvalue().split())


@pytest.mark.django_db
def test_load_demo_keeps_working_credentials_and_retires_a_lost_key(tmp_path):
    from django.contrib.auth.models import User

    from syncplatform.partners.models import ApiClient
    from syncplatform.partners.services import authenticate_api_key

    first = load_demo()
    saved = tmp_path / "demo-credentials.txt"
    saved.write_text("".join(f"{name}={value}\n" for name, value in first.items()))

    again = load_demo(credentials_file=str(saved))
    lost = load_demo(credentials_file=str(tmp_path / "missing.txt"))

    assert again == first
    assert lost["DEMO_API_KEY"] != first["DEMO_API_KEY"]
    assert authenticate_api_key(first["DEMO_API_KEY"]) is None
    assert authenticate_api_key(lost["DEMO_API_KEY"]) is not None
    assert ApiClient.objects.filter(name="demo", is_active=True).count() == 1
    # The demo's admin receives the alert digests (in $SYNC_VAR_DIR/mail/).
    admin = User.objects.get(username="admin")
    assert admin.email == "admin@example.com"
    assert admin.groups.filter(name="operations").exists()
