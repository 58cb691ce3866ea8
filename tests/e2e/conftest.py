"""Real servers for end-to-end tests: gunicorn, Celery workers, the sandbox ERP.

PostgreSQL and RabbitMQ come from ``make test`` (deploy/local/); the web server
and workers started here use the test database that pytest-django created, so
rows the test commits are what they see.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.db import connection

from syncplatform.audit.models import RetryPolicy
from syncplatform.mappings.choices import MappingKind
from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.orders.models import ERP_ORDER_POST
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig, ErpEndpoint, Partner
from syncplatform.partners.services import issue_api_key
from tests.support.processes import BIN, PYTHON, REPO, ServerProcess, child_env, free_port

DEMO = REPO / "fixtures" / "demo"
LEASE_SECONDS = 4


def _require_real_services():
    database, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    if not database.startswith("postgres") or not broker.startswith("amqp"):
        pytest.fail("end-to-end tests need PostgreSQL and RabbitMQ: run them with `make test`")


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def platform_env(django_db_setup, django_db_blocker) -> dict:
    """Environment for child processes: the test database, the real broker, short leases.

    The suite connects as the owner (SYNC_MIGRATE_DATABASE_URL); the processes connect
    as DATABASE_URL's role, the runtime role, as deployed: the flows prove it is enough.
    """
    _require_real_services()
    runtime = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(runtime._replace(path=f"/{connection.settings_dict['NAME']}"))
    return child_env(
        DATABASE_URL=database_url,
        SYNC_LEASE_SECONDS=str(LEASE_SECONDS),
        SYNC_PUBLISH_GRACE_SECONDS="1",
        DJANGO_SETTINGS_MODULE="syncplatform.settings",
    )


class SandboxErp:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.wsdl_url = f"{base_url}/sap/SalesOrder?wsdl"

    def configure(self, **changes):
        response = requests.post(f"{self.base_url}/_sandbox/config", json=changes, timeout=5)
        response.raise_for_status()

    def documents(self, external_reference: str) -> list[dict]:
        response = requests.get(
            f"{self.base_url}/_sandbox/documents",
            params={"external_reference": external_reference},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def sandbox_erp(logs_dir, tmp_path_factory):
    port = free_port()
    store = tmp_path_factory.mktemp("erp") / "erp.sqlite3"
    server = ServerProcess(
        "sandbox-erp",
        [
            PYTHON,
            "-m",
            "connectors.erp.sandbox",
            "--bind",
            f"127.0.0.1:{port}",
            "--store",
            str(store),
        ],
        env=child_env(),
        log_dir=logs_dir,
    )
    erp = SandboxErp(f"http://127.0.0.1:{port}")
    server.wait_http(f"{erp.base_url}/_sandbox/health")
    yield erp
    server.stop()


@pytest.fixture
def erp(sandbox_erp):
    sandbox_erp.configure(latency_ms=0, fault_rate=0.0, outage=False, timeout_after_commit_ms=0)
    yield sandbox_erp
    sandbox_erp.configure(latency_ms=0, fault_rate=0.0, outage=False, timeout_after_commit_ms=0)


@pytest.fixture(scope="session")
def web_server(platform_env, logs_dir):
    port = free_port()
    server = ServerProcess(
        "web",
        [
            str(BIN / "gunicorn"),
            "syncplatform.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
        ],
        env=platform_env,
        log_dir=logs_dir,
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    yield base_url
    server.stop()


@pytest.fixture
def start_worker(platform_env, logs_dir):
    """Start a Celery worker (prefork, concurrency 2); stopped after the test."""
    started = []

    def start(name: str = "realtime", queues: str = "realtime") -> ServerProcess:
        worker = ServerProcess(
            f"worker-{name}-{len(started)}",
            [
                str(BIN / "celery"),
                "-A",
                "syncplatform",
                "worker",
                "-Q",
                queues,
                "-c",
                "2",
                "-n",
                f"{name}-{len(started)}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=platform_env,
            log_dir=logs_dir,
        )
        worker.wait_log("ready.", timeout=60)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def demo_channel(transactional_db, erp):
    """demo-web posting to the sandbox ERP, with the demo mappings and a fast retry policy."""
    channel = Partner.objects.create(code="demo-web", name="Demo web", kind=PartnerKind.CHANNEL)
    erp_partner = Partner.objects.create(code="demo-erp", name="ERP", kind=PartnerKind.ERP)
    Partner.objects.create(code="demo-3pl", name="3PL", kind=PartnerKind.WAREHOUSE)
    ErpEndpoint.objects.create(partner=erp_partner, wsdl_url=erp.wsdl_url, timeout_seconds=10)
    ChannelConfig.objects.create(
        partner=channel,
        erp=erp_partner,
        default_sold_to="",
        default_location="WEB-DC",
        webhook_secret="shopify-test-secret",
    )
    for kind in MappingKind.values:
        import_mappings(kind, (DEMO / f"{kind}.csv").read_text())
    RetryPolicy.objects.update_or_create(
        kind=ERP_ORDER_POST,
        defaults={"max_attempts": 30, "delays_seconds": [1], "jitter_ratio": 0.0},
    )
    _, api_key = issue_api_key(channel, "e2e")
    channel.api_key = api_key
    return channel


class AdminSession:
    """A browser-like session in the real admin: log in, run changelist actions."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        self.http = requests.Session()
        login_url = f"{base_url}/admin/login/"
        self.http.get(login_url, timeout=10)
        response = self.http.post(
            login_url,
            timeout=10,
            allow_redirects=False,
            data={
                "username": username,
                "password": password,
                "next": "/admin/",
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
            headers={"Referer": login_url},
        )
        assert response.status_code == 302, f"admin login failed: {response.status_code}"

    def run_action(self, model_path: str, action: str, ids: list[int], **extra) -> str:
        url = f"{self.base_url}/admin/{model_path}/"
        self.http.get(url, timeout=10)
        response = self.http.post(
            url,
            timeout=30,
            headers={"Referer": url},
            data={
                "action": action,
                "_selected_action": [str(i) for i in ids],
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
                **extra,
            },
        )
        assert response.status_code == 200, response.text[:500]
        return response.text


@pytest.fixture
def admin_session(transactional_db, web_server):
    from django.contrib.auth.models import Permission, User

    ops = User.objects.create_user("ops", password="ops-password-1", is_staff=True)
    ops.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_synctransaction", "operate_synctransaction"])
    )
    return AdminSession(web_server, "ops", "ops-password-1")
