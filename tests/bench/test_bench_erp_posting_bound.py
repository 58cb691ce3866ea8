"""erp_posting's account of what bounds its ratio: Celery's floor on the real lane, the sums."""

import os

import pytest

from bench.celery_floor import CeleryFloor, measure_celery_floor
from bench.erp_posting import PostingRun, ratio_bound
from bench.stack import purge_realtime_queue


def test_the_floor_runs_each_empty_task_once_on_the_real_lane_and_meters_the_workers(tmp_path):
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("amqp"):
        pytest.fail("needs RabbitMQ: run through `make test`")

    floor = measure_celery_floor(
        os.environ["DATABASE_URL"], processes=1, threads=2, count=200, folder=tmp_path
    )

    assert (tmp_path / "celery-floor.count").read_bytes() == b"." * 200  # each ran, once
    assert floor.worker_ms > 0
    assert purge_realtime_queue() == 0  # nothing left on the queue


def test_the_bound_sums_what_is_outside_the_platforms_python_on_the_machines_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    count = 1000
    platform = PostingRun(
        posted=count,
        seconds=5.0,
        # CPU seconds over the run: per order 5, 1, 2.5, 0.25 ms
        cpu_seconds={"worker": 5.0, "sandbox erp": 1.0, "postgres": 2.5, "rabbitmq": 0.25},
        documents=(count, count),
    )

    bound = ratio_bound(
        platform, count, zeep_ms=1.5, floor=CeleryFloor(0.5, 0.1), ceiling_rate=500.0
    )

    # 1.5 zeep + 1 ERP + 2.5 PostgreSQL + 0.25 RabbitMQ + 0.5 Celery = 5.75 ms on 2 cores
    assert bound.outside_ms == pytest.approx(5.75)
    assert bound.most() == pytest.approx(2000 / 5.75)
    assert bound.own_ms == pytest.approx(5.0 - 1.5 - 0.5)
    # 0.5x of 500/s is 250/s: 8 ms of the two cores per order, 2.25 left for the platform
    assert bound.budget_ms() == pytest.approx(8 - 5.75)
    assert bound.most(without_postgres=True) == pytest.approx(2000 / 3.25)
    assert bound.budget_ms(without_postgres=True) == pytest.approx(8 - 3.25)
