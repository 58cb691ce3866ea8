"""The dashboard on the admin index: tiles, queue depth, schedules, charts from the rollup."""
# ruff: noqa: F811 - the fixtures imported from dashboard_fixtures are used as arguments

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.gate_models import Breaker
from syncplatform.audit.models import SyncTransaction
from syncplatform.console import broker
from syncplatform.console.charts import dashboard_charts
from syncplatform.console.dashboard import (
    ORDER_POSTING,
    progress_of,
    read_tiles,
    schedule_states,
)
from syncplatform.console.models import KindHour, ShipmentHour
from syncplatform.console.rollup import floor_hour, percentile, roll_up_recent_hours
from tests.console.dashboard_fixtures import (  # noqa: F401 - fixtures by name
    fail_with,
    finance_user,
    make_transaction,
    missing_mapping,
    operator,
    shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Publishing is recorded, never sent (queue depth tests use their own connection)."""


@pytest.fixture
def open_work(make_transaction, fail_with, missing_mapping):
    """Two mapping failures (one old), a refused posting, one retrying, one waiting, a 997."""
    old = missing_mapping("WEB-1", "sku BEANIE-RED")
    SyncTransaction.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - timedelta(hours=5, minutes=3)
    )
    missing_mapping("WEB-2", "sku BEANIE-RED")
    fail_with("WEB-3", "erp_rejected", "material MAT-1 is blocked")
    retrying = make_transaction("WEB-4")
    retrying.start_attempt(60)
    retrying.schedule_retry("erp_timeout", "no answer in 30 s", delay=timedelta(seconds=30))
    make_transaction("WEB-5")
    done = make_transaction("WEB-6")
    done.start_attempt(60)
    done.succeed("posted")
    fail_with("X-1.edi", "ack_overdue", "no 997 for X-1.edi", kind="edi.997.overdue")


def test_tiles_count_failed_and_retrying_work_per_kind_and_code(open_work):
    tiles = read_tiles()

    assert [(c.state, c.kind, c.code, c.count) for c in tiles.failing] == [
        ("failed", ORDER_POSTING, "mapping_missing", 2),
        ("failed", "edi.997.overdue", "ack_overdue", 1),
        ("failed", ORDER_POSTING, "erp_rejected", 1),
        ("retrying", ORDER_POSTING, "erp_timeout", 1),
    ]
    assert (tiles.failed_total, tiles.retrying_total) == (4, 1)
    age = tiles.oldest_failure_age()
    assert timedelta(hours=5) < age < timedelta(hours=5, minutes=10)
    # received, retrying and the three failed postings are not in the ERP; the posted one is
    assert tiles.orders_not_posted == 5
    assert tiles.overdue_997s == 1
    assert tiles.breakers == []  # no posting went through a gate yet


def test_the_admin_index_is_the_dashboard(client, operator, open_work):
    client.force_login(operator)

    page = client.get(reverse("admin:index")).content.decode()

    assert 'id="console-dashboard"' in page
    assert "2 orders: SKU BEANIE-RED has no mapping (demo-web)" in page
    assert "5\xa0hours" in page  # the oldest failure's age
    assert f"?state=failed&amp;kind={ORDER_POSTING}&amp;last_error_code=mapping_missing" in page
    assert "console/dashboard.js" in page
    assert "roll up the dashboard&#x27;s hourly figures" in page
    assert page.count('<svg class="console-chart"') == 4
    assert 'id="content-main"' in page  # the app list is still there, below


def test_the_fragment_redraws_the_same_figures_and_needs_a_staff_login(client, operator, open_work):
    url = reverse("console:dashboard-fragment") + "?window=7d"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous.url

    client.force_login(operator)
    fragment = client.get(url).content.decode()

    assert '<section class="console-tile is-bad" id="tile-failed">' in fragment
    assert '<p class="console-figure">4</p>' in fragment
    assert "<strong>7d</strong>" in fragment
    assert "<html" not in fragment


def test_each_erp_endpoints_breaker_is_shown_with_its_state(client, operator):
    Breaker.objects.create(key="erp:demo-erp", label="demo-erp", state="open")
    Breaker.objects.create(key="erp:other-erp", state="closed")

    assert [(b.endpoint, b.state) for b in read_tiles().breakers] == [
        ("demo-erp", "Open (holding postings back)"),
        ("erp:other-erp", "Closed"),
    ]
    client.force_login(operator)
    page = client.get(reverse("admin:index")).content.decode()
    assert (
        '<tr class="breaker-open"><th>demo-erp</th>'
        "<td><strong>Open (holding postings back)</strong></td></tr>"
    ) in page


def test_finance_sees_the_dashboard_and_the_groups_read_only(client, finance_user, open_work):
    client.force_login(finance_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="tile-failed"' in page
    assert "2 orders: SKU BEANIE-RED has no mapping (demo-web)" in page


def test_queue_depth_counts_the_filesystem_brokers_files_per_lane(settings, tmp_path):
    settings.IS_FILESYSTEM_BROKER = True
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    for name in ("1_a.realtime.msg", "2_b.batch.msg", "3_c.batch.msg", "4_d.other.msg", "x.txt"):
        (tmp_path / name).write_bytes(b"{}")

    assert broker.queue_depths() == {"realtime": 1, "batch": 2}

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "gone")}
    assert broker.queue_depths() == {"realtime": None, "batch": None}


def test_queue_depth_asks_rabbitmq_passively(settings):
    if not settings.CELERY_BROKER_URL.startswith("amqp"):
        pytest.fail("this test needs RabbitMQ: run it with `make test`")
    settings.IS_FILESYSTEM_BROKER = False
    with Connection(settings.CELERY_BROKER_URL) as connection:
        channel = connection.default_channel
        for lane, count in (("realtime", 2), ("batch", 3)):
            channel.queue_declare(queue=lane, durable=True, auto_delete=False)
            channel.queue_purge(lane)
            for n in range(count):
                producer = connection.Producer(channel)
                producer.publish({"n": n}, routing_key=lane, exchange="")
        try:
            assert broker.queue_depths() == {"realtime": 2, "batch": 3}
        finally:
            for lane in ("realtime", "batch"):
                channel.queue_purge(lane)


def test_a_queue_never_declared_holds_nothing(settings):
    settings.IS_FILESYSTEM_BROKER = False
    with Connection(settings.CELERY_BROKER_URL) as connection:
        for lane in ("realtime", "batch"):
            connection.default_channel.queue_delete(lane)

    assert broker.queue_depths() == {"realtime": 0, "batch": 0}


def test_queue_depth_is_unknown_when_the_broker_does_not_answer(settings, client, operator):
    settings.IS_FILESYSTEM_BROKER = False
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens there

    assert broker.queue_depths(timeout=1) == {"realtime": None, "batch": None}

    client.force_login(operator)
    fragment = client.get(reverse("console:dashboard-fragment")).content.decode()
    assert '<tr class="queue-realtime"><th>realtime</th><td>unknown</td></tr>' in fragment


def test_schedules_show_each_beat_row_with_its_last_run(make_transaction):
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(args='["console.rollup"]').update(
        last_run_at=timezone.now(), total_run_count=7, enabled=False
    )

    job = next(s for s in schedule_states() if s.key == "console.rollup")

    assert (job.name, job.every_seconds, job.is_enabled, job.run_count) == (
        "roll up the dashboard's hourly figures",
        60,
        False,
        7,
    )
    assert job.last_run_at is not None


def test_a_jobs_progress_is_read_off_its_transactions_subject_when_it_tells_one():
    class Load:
        progress = None

    load = Load()
    tx = SimpleNamespace(subject_model=Load, subject=load)
    assert progress_of(tx) == ""
    load.progress = (250, 1000)
    assert progress_of(tx) == "250 of 1000 (25%)"
    load.progress = "chunk 3 of 9"
    assert progress_of(tx) == "chunk 3 of 9"
    assert progress_of(SimpleNamespace(subject_model=None, subject=None)) == ""


def test_progress_is_read_off_the_done_and_total_fields_long_jobs_keep():
    fields = [SimpleNamespace(name=n) for n in ("id", "rows_done", "rows_total")]
    report_model = SimpleNamespace(_meta=SimpleNamespace(get_fields=lambda: fields))
    report = SimpleNamespace(rows_done=300, rows_total=1200)
    assert progress_of(SimpleNamespace(subject_model=report_model, subject=report)) == (
        "300 of 1200 (25%)"
    )
    report.rows_total = 0  # not planned yet
    assert progress_of(SimpleNamespace(subject_model=report_model, subject=report)) == ""


def test_work_being_processed_is_listed_as_running(client, operator, make_transaction):
    busy = make_transaction("WEB-BUSY")
    busy.start_attempt(60)
    make_transaction("WEB-IDLE")

    assert [(w.transaction_id, w.business_key) for w in read_tiles().running] == [
        (busy.pk, "WEB-BUSY")
    ]
    client.force_login(operator)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:audit_synctransaction_change", args=[busy.pk]) in page


def test_percentile_is_a_value_that_was_seen():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.95) == 7
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (50, 95)


def received_at(tx, at, *, finished_after: timedelta | None = None):
    SyncTransaction.objects.filter(pk=tx.pk).update(
        created_at=at, finished_at=at + finished_after if finished_after is not None else None
    )


def test_the_rollup_counts_each_hour_per_kind_with_latency_and_repeats_safely(
    make_transaction, fail_with
):
    now = timezone.now()
    hour = floor_hour(now) - timedelta(hours=2)
    for n, seconds in enumerate((1, 2, 3, 4, 40)):
        tx = make_transaction(f"OK-{n}")
        tx.start_attempt(60)
        tx.succeed("posted")
        received_at(tx, hour + timedelta(minutes=n), finished_after=timedelta(seconds=seconds))
    received_at(fail_with("BAD-1", "erp_rejected", "no"), hour + timedelta(minutes=9))
    received_at(make_transaction("OLD-1"), hour - timedelta(days=8))  # outside the charts

    roll_up_recent_hours(now)
    roll_up_recent_hours(now)  # a repeat writes the same rows

    row = KindHour.objects.get(kind=ORDER_POSTING, hour=hour)
    assert (row.received, row.succeeded, row.failed) == (6, 5, 1)
    assert (row.latency_p50_ms, row.latency_p95_ms) == (3000, 40000)
    assert KindHour.objects.filter(kind=ORDER_POSTING).count() == 1
    assert ShipmentHour.objects.filter(hour=hour, shipments=0).exists()

    fallout, latency, _shipped, throughput = dashboard_charts("24h", ORDER_POSTING, now)
    index = fallout.hours.index(hour)
    assert fallout.series[0].values[index] == pytest.approx(16.7)
    assert fallout.series[0].values[index + 1] is None
    assert [s.values[index] for s in latency.series] == [3.0, 40.0]
    assert throughput.series[0].label == ORDER_POSTING
    assert throughput.series[0].values[index] == 6
    assert len(dashboard_charts("7d", ORDER_POSTING, now)[0].hours) == 168
    assert f'data-values="{",".join([""] * index + ["16.7"] + [""] * (23 - index))}"' in (
        fallout.svg()
    )


def test_a_later_rollup_recomputes_the_recent_hours_as_their_work_finishes(make_transaction):
    now = timezone.now()
    tx = make_transaction("LATE-1")
    received_at(tx, floor_hour(now))
    roll_up_recent_hours(now)
    assert KindHour.objects.get(kind=ORDER_POSTING).succeeded == 0

    tx.refresh_from_db()
    tx.start_attempt(60)
    tx.succeed("posted")
    roll_up_recent_hours(now + timedelta(minutes=1))

    assert KindHour.objects.get(kind=ORDER_POSTING).succeeded == 1
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.SUCCEEDED


def test_a_rollup_that_stopped_half_way_is_continued_from_the_last_hour_it_wrote(
    make_transaction,
):
    now = timezone.now()
    stopped_at = floor_hour(now) - timedelta(hours=30)
    ShipmentHour.objects.create(hour=stopped_at, shipments=0, rolled_up_at=now)
    received_at(make_transaction("GAP-1"), stopped_at + timedelta(hours=10))
    received_at(make_transaction("OLD-1"), stopped_at - timedelta(hours=10))  # done before

    hours = roll_up_recent_hours(now)

    assert hours == 34  # from 3 hours before the last one written, to the current hour
    assert list(KindHour.objects.values_list("hour", "received")) == [
        (stopped_at + timedelta(hours=10), 1)
    ]
