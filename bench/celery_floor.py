"""What Celery costs per order on the realtime lane, with nothing else done.

``erp_posting`` asks how close the platform comes to the zeep-only ceiling on
this machine's two cores. Part of the answer is what no change to the
platform's Python can remove, because the issue's stack requires it: the
broker, and Celery's own handling of each task. This measures that part: the
same number of messages on the realtime queue (published while the lane
runs; RabbitMQ's figure includes taking them in), the same lane (two worker
processes, ``-P threads``, acks late, production settings), and a task whose
body does nothing but count itself (one append of one byte to a file, so the
run knows when the last has finished without touching the database).

The worker imports this module through ``bench.celery_floor_settings``
(``CELERY_IMPORTS``); production never loads it.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from celery import shared_task

from bench.cpu import stack_meter
from bench.servers import wait_until
from bench.stack import purge_realtime_queue, start_realtime_workers

NOTHING_TASK = "bench.celery_floor.nothing"
COUNTER_VARIABLE = "BENCH_CELERY_FLOOR_COUNTER"
SETTINGS_MODULE = "bench.celery_floor_settings"


@shared_task(name=NOTHING_TASK, ignore_result=True)
def nothing(transaction_id: int) -> None:
    """The realtime lane's task with an empty body: one byte appended to the counter file."""
    with open(os.environ[COUNTER_VARIABLE], "ab", buffering=0) as counter:
        counter.write(b".")


@dataclass(frozen=True)
class CeleryFloor:
    """CPU milliseconds per task: the worker processes' and the broker's."""

    worker_ms: float
    broker_ms: float


def measure_celery_floor(
    database_url: str, processes: int, threads: int, count: int, folder: Path
) -> CeleryFloor:
    """Start the lane on an empty queue, then publish ``count`` empty tasks; meter until all ran.

    Published only once the meter runs: a worker starts consuming before its
    "ready" line is seen, so tasks waiting on the queue would partly run
    unmetered (all of them, when they are few).
    """
    from syncplatform.celery import app

    purge_realtime_queue()
    counter = folder / "celery-floor.count"
    counter.write_bytes(b"")
    workers = start_realtime_workers(
        database_url,
        processes,
        threads,
        name="floor",
        settings_module=SETTINGS_MODULE,
        extra_env={COUNTER_VARIABLE: str(counter)},
    )
    pids = {f"worker {number}": w.process.pid for number, w in enumerate(workers, start=1)}
    meter = stack_meter(pids)
    meter.start()
    try:
        with app.producer_or_acquire() as producer:
            for number in range(count):  # the message a posting sends: one transaction id
                app.send_task(NOTHING_TASK, args=[number], queue="realtime", producer=producer)

        def all_ran():
            for worker in workers:
                worker.check_running()
            return counter.stat().st_size >= count

        wait_until(all_ran, timeout=300, what=f"{count} empty tasks", interval=0.02)
        time.sleep(0.1)  # the last acks
        cpu = meter.stop()
    finally:
        for worker in workers:
            worker.stop()
    worker_seconds = sum(cpu[name] for name in pids)
    return CeleryFloor(
        worker_ms=worker_seconds / count * 1000,
        broker_ms=cpu.get("rabbitmq", 0) / count * 1000,
    )
