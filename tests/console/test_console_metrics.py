"""/metrics scraped over HTTP from a real gunicorn and parsed with Prometheus' own parser."""

import ast
import subprocess
import uuid
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from syncplatform.audit.choices import EventKind
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.models import TransactionEvent
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import open_transaction
from syncplatform.console.dashboard import BreakerState
from syncplatform.console.metrics import first_event_id_since
from syncplatform.orders.models import ERP_ORDER_POST
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from tests.support.processes import BIN, PYTHON, ServerProcess, child_env, free_port

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture(scope="module")
def metrics_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn on the test database with a metrics token and no allowed network."""
    from django.db import connection

    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}"
        f":{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    port = free_port()
    env = child_env(
        DATABASE_URL=database_url,
        SYNC_MIGRATE_DATABASE_URL="",
        SYNC_METRICS_TOKEN=TOKEN,
        SYNC_METRICS_ALLOWED_NETWORKS="10.99.0.0/16",
        DJANGO_SETTINGS_MODULE="syncplatform.settings",
    )
    server = ServerProcess(
        "metrics-web",
        [str(BIN / "gunicorn"), "syncplatform.wsgi", "--bind", f"127.0.0.1:{port}"],
        env=env,
        log_dir=tmp_path_factory.mktemp("metrics-logs"),
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    yield base_url
    server.process.terminate()
    server.process.wait(30)


@pytest.fixture
def channel(transactional_db, published):
    return Partner.objects.create(code="shop-m", name="Shop", kind=PartnerKind.CHANNEL)


def new_order_transaction(channel, key):
    return open_transaction(
        kind=ERP_ORDER_POST,
        partner=channel,
        business_key=key,
        correlation_id=uuid.uuid4().hex,
        message="accepted",
    )


def declare_lane_queues():
    """The lanes' queues exist on RabbitMQ once any worker started; here none did."""
    with Connection(settings.CELERY_BROKER_URL) as connection:
        for queue in settings.CELERY_TASK_QUEUES:
            queue(connection.default_channel).declare()


def scrape(base_url: str, **headers) -> requests.Response:
    return requests.get(f"{base_url}/metrics", headers=headers, timeout=30)


def samples(response) -> dict:
    """{(sample name, frozenset(labels)): value} of a scrape."""
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def test_metrics_count_transactions_histogram_attempts_and_age_schedules(metrics_server, channel):
    # given: one posted order, one failed, one waiting, and a schedule that ran a minute ago
    posted, failed, _waiting = (new_order_transaction(channel, f"M-{n}") for n in range(3))
    run_transaction(posted.pk, lambda tx: Outcome("posted as 4711"))
    run_transaction(failed.pk, lambda tx: Outcome("refused", failure=("erp_rejected", "blocked")))
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.create(
        name="send 940s to demo-3pl",
        task=RUN_SCHEDULED_JOB_TASK,
        interval=every,
        args='["fulfillment.send_940", 3]',
        last_run_at=timezone.now() - timedelta(seconds=60),
    )

    declare_lane_queues()

    # when
    response = scrape(metrics_server, Authorization=f"Bearer {TOKEN}")

    # then
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(response)
    kind = ("kind", ERP_ORDER_POST)
    assert found[("syncplatform_transactions_open", frozenset({kind, ("state", "failed")}))] == 1
    assert found[("syncplatform_transactions_open", frozenset({kind, ("state", "received")}))] == 1
    recent = "syncplatform_transactions_created_24h"
    assert found[(recent, frozenset({kind, ("state", "succeeded")}))] == 1
    assert found[(recent, frozenset({kind, ("state", "failed")}))] == 1
    succeeded = frozenset({kind, ("outcome", "succeeded")})
    assert found[("syncplatform_attempt_duration_seconds_gcount", succeeded)] == 1
    assert ("syncplatform_attempt_duration_seconds_gsum", succeeded) in found
    inf_bucket = frozenset({kind, ("outcome", "failed"), ("le", "+Inf")})
    assert found[("syncplatform_attempt_duration_seconds_bucket", inf_bucket)] == 1
    age = found[
        (
            "syncplatform_schedule_last_run_age_seconds",
            frozenset({("schedule", "send 940s to demo-3pl"), ("job", "fulfillment.send_940")}),
        )
    ]
    assert 59 <= age < 600
    depths = {
        dict(labels)["lane"]: value
        for (name, labels), value in found.items()
        if name == "syncplatform_queue_depth"
    }
    assert set(depths) == {"realtime", "batch"}
    assert all(value >= 0 for value in depths.values())


def test_metrics_refuse_a_missing_token_with_401_and_a_wrong_one_with_403(metrics_server, channel):
    missing = scrape(metrics_server)
    wrong = scrape(metrics_server, Authorization="Bearer not-the-token")
    basic = scrape(metrics_server, Authorization="Basic dXNlcjpwYXNz")

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert (wrong.status_code, basic.status_code) == (403, 403)
    assert "syncplatform_" not in missing.text + wrong.text + basic.text


@pytest.mark.django_db
def test_metrics_answer_an_allowed_network_without_a_token(client, settings):
    settings.SYNC_METRICS_TOKEN = ""
    settings.SYNC_METRICS_ALLOWED_NETWORKS = ["192.0.2.0/24"]

    inside = client.get("/metrics", REMOTE_ADDR="192.0.2.7")
    outside = client.get("/metrics", REMOTE_ADDR="198.51.100.7")
    any_token = client.get("/metrics", REMOTE_ADDR="198.51.100.7", HTTP_AUTHORIZATION="Bearer x")

    assert inside.status_code == 200
    assert any(
        f.name == "syncplatform_transactions_open"
        for f in text_string_to_metric_families(inside.content.decode())
    )
    assert (outside.status_code, any_token.status_code) == (401, 403)


@pytest.mark.django_db(transaction=True)
def test_the_window_starts_at_the_first_event_at_or_after_its_moment(channel):
    tx = new_order_transaction(channel, "W-1")
    start = timezone.now()
    events = [
        TransactionEvent.objects.create(
            transaction=tx, kind=EventKind.NOTE, at=start + timedelta(minutes=n)
        )
        for n in range(1, 6)
    ]

    assert first_event_id_since(start - timedelta(hours=1)) == tx.events.first().pk
    assert first_event_id_since(events[3].at) == events[3].pk
    assert first_event_id_since(events[3].at - timedelta(seconds=30)) == events[3].pk
    assert first_event_id_since(events[-1].at + timedelta(seconds=1)) is None


@pytest.mark.django_db
def test_behind_the_tls_proxy_metrics_answer_plain_http_like_the_health_probes(client, settings):
    # given the settings production computes behind the proxy
    probe = subprocess.run(
        [PYTHON, "-c", "from django.conf import settings; print(settings.SECURE_REDIRECT_EXEMPT)"],
        env=child_env(SYNC_BEHIND_TLS_PROXY="1", DJANGO_SETTINGS_MODULE="syncplatform.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    exempt = ast.literal_eval(probe.stdout.strip())
    settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT = True, exempt
    settings.SYNC_METRICS_TOKEN = TOKEN

    # when Prometheus scrapes a process over plain HTTP
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    admin = client.get("/admin/")

    # then metrics answer there, and the rest still goes to HTTPS
    assert "^metrics$" in exempt
    assert scraped.status_code == 200
    assert admin.status_code == 301 and admin.url.startswith("https://")


@pytest.mark.django_db
def test_breaker_states_are_served_once_a_breaker_model_tells_them(client, settings, monkeypatch):
    settings.SYNC_METRICS_TOKEN = TOKEN
    monkeypatch.setattr("syncplatform.console.metrics.breaker_states", lambda: None)
    without = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    monkeypatch.setattr(
        "syncplatform.console.metrics.breaker_states",
        lambda: [
            BreakerState("demo-erp", "Open (holding postings back)", "open"),
            BreakerState("other-erp", "Closed", "closed"),
        ],
    )
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert "syncplatform_breaker_state" not in without
    found = {
        frozenset(s.labels.items()): s.value
        for family in text_string_to_metric_families(scraped)
        if family.name == "syncplatform_breaker_state"
        for s in family.samples
    }
    assert found == {
        frozenset({("endpoint", "demo-erp"), ("state", "open")}): 1,
        frozenset({("endpoint", "other-erp"), ("state", "closed")}): 1,
    }
