"""The ERP gate at peak (issue 13) through real servers: PostgreSQL, RabbitMQ, the sandbox ERP
over HTTP, the web server, and Celery realtime workers on thread pools.

- two worker processes never have more than ``max_in_flight`` requests at the ERP at once
  (the sandbox counts its peak concurrency);
- an outage opens the breaker: postings wait without spending attempts, probes go one at
  a time, and every order posts exactly once afterwards;
- a worker SIGKILLed while holding slots leaves them to expire with their lease.

Scaled to this shared 2-core machine: 60 orders through a 20-second outage instead of
the issue's 500 through 2 minutes (the figures are parameters at the top).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from chaos.stack import service
from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.gates import wake_gates
from syncplatform.audit.models import Breaker, GateSlot, SyncTransaction, TransactionEvent
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.orders.models import ERP_ORDER_POST, Order
from syncplatform.partners.models import ErpEndpoint
from tests.support.api import post_order
from tests.support.orders import canonical_order
from tests.support.processes import BIN, ServerProcess, wait_until

pytestmark = pytest.mark.e2e

OUTAGE_ORDERS = 60
OUTAGE_SECONDS = 20
BREAKER = {
    "SYNC_ERP_BREAKER_FAILURES": "3",
    "SYNC_ERP_BREAKER_WINDOW_SECONDS": "30",
    "SYNC_ERP_BREAKER_COOL_DOWN_SECONDS": "3",
}


@pytest.fixture
def thread_worker(platform_env, logs_dir):
    """A realtime worker on the thread pool, as deployed (issue 13); stopped after the test."""
    started = []

    def start(name: str, threads: int = 8) -> ServerProcess:
        worker = ServerProcess(
            f"peak-{name}-{len(started)}",
            [
                str(BIN / "celery"),
                "-A",
                "syncplatform",
                "worker",
                "-Q",
                "realtime",
                "-P",
                "threads",
                "-c",
                str(threads),
                "-n",
                f"peak-{name}-{len(started)}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env={**platform_env, **BREAKER},
            log_dir=logs_dir,
        )
        worker.wait_log("ready.", timeout=90)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def cap_erp(max_in_flight: int) -> None:
    ErpEndpoint.objects.update(max_in_flight=max_in_flight)


def erp_stats(erp, *, reset: bool = False) -> dict:
    method, path = ("post", "/_sandbox/stats/reset") if reset else ("get", "/_sandbox/stats")
    response = getattr(requests, method)(f"{erp.base_url}{path}", timeout=5)
    response.raise_for_status()
    return response.json()


def post_orders(web_server, channel, prefix: str, count: int) -> list[int]:
    def one(n):
        response = post_order(
            web_server, channel.api_key, canonical_order(f"{prefix}-{n}"), f"{prefix}-{n}"
        )
        assert response.status_code == 202, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def wait_all_posted(order_ids: list[int], timeout: float) -> None:
    def done():
        sweep_due_transactions()
        wake_gates()
        return Order.objects.filter(pk__in=order_ids, erp_document_number="").count() == 0

    wait_until(done, timeout=timeout, interval=0.5, what=f"{len(order_ids)} orders posted")


def assert_each_posted_once(erp, order_ids: list[int]) -> None:
    for order in Order.objects.filter(pk__in=order_ids):
        documents = erp.documents(order.erp_reference)
        assert [d["document_number"] for d in documents] == [order.erp_document_number], order


def postings(order_ids):
    return SyncTransaction.objects.filter(kind=ERP_ORDER_POST, subject_id__in=order_ids)


def test_two_workers_never_send_more_than_max_in_flight(
    demo_channel, web_server, erp, thread_worker
):
    cap_erp(4)
    erp.configure(latency_ms=300)
    erp_stats(erp, reset=True)
    thread_worker("a"), thread_worker("b")  # 16 threads for 4 slots

    order_ids = post_orders(web_server, demo_channel, "CAP", 40)
    wait_all_posted(order_ids, timeout=180)

    stats = erp_stats(erp)
    assert 1 <= stats["peak_concurrency"] <= 4, stats
    assert_each_posted_once(erp, order_ids)
    # The cap was in play: postings waited, and waiting spent no attempt.
    held = TransactionEvent.objects.filter(transaction__in=postings(order_ids), kind=EventKind.HELD)
    assert held.filter(message__startswith="waiting for a free slot at ERP endpoint of demo-erp")
    assert sorted(set(postings(order_ids).values_list("attempts", flat=True))) == [1]
    assert (
        not GateSlot.objects.filter(holder_id__isnull=False)
        .exclude(lease_until=None)
        .filter(holder_id__in=postings(order_ids).values("pk"), lease_until__gt=time_now())
    )


def time_now():
    from django.utils import timezone

    return timezone.now()


def test_outage_opens_the_breaker_and_every_order_posts_once_without_spending_retries(
    demo_channel, web_server, erp, thread_worker
):
    cap_erp(4)
    thread_worker("a"), thread_worker("b")
    erp.configure(outage=True)
    outage_started = time.monotonic()
    order_ids = post_orders(web_server, demo_channel, "OUT", OUTAGE_ORDERS)

    wait_until(
        lambda: Breaker.objects.filter(state="open").exists(),
        timeout=60,
        what="the breaker to open",
    )
    ready = requests.get(f"{web_server}/readyz", timeout=10).json()
    assert ready["status"] == "degraded"
    assert "ERP endpoint of demo-erp: breaker" in ready["checks"]["breakers"]

    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        sweep_due_transactions()
        wake_gates()
        time.sleep(0.5)
    erp.configure(outage=False)
    erp_stats(erp, reset=True)
    wait_all_posted(order_ids, timeout=240)

    assert_each_posted_once(erp, order_ids)
    assert Breaker.objects.get().state == "closed"
    # Recovery did not stampede the ERP.
    assert erp_stats(erp)["peak_concurrency"] <= 4
    # Without the breaker each order would fail about once a second for 20 seconds
    # (retry policy: 1 s). With it, only the posts in flight when it opened and one
    # probe per cool-down (3 s) may fail.
    failed = TransactionEvent.objects.filter(
        transaction__in=postings(order_ids), kind=EventKind.ATTEMPT_FAILED
    ).count()
    assert failed <= 4 + 3 + OUTAGE_SECONDS // 3 + 2, failed
    held_by_breaker = TransactionEvent.objects.filter(
        transaction__in=postings(order_ids),
        kind=EventKind.HELD,
        message__startswith="held back by the breaker of ERP endpoint of demo-erp",
    )
    assert held_by_breaker.count() >= OUTAGE_ORDERS // 2
    assert max(postings(order_ids).values_list("attempts", flat=True)) <= 4


def test_sigkilled_worker_holding_slots_releases_them_by_lease(
    demo_channel, web_server, erp, thread_worker
):
    cap_erp(3)
    # Long enough that the doomed worker is surely inside its three calls when killed: a
    # slot can also be held by a woken waiter not yet claimed, so wait for three postings
    # in flight, not only for three slots held.
    erp.configure(latency_ms=8000)
    doomed = thread_worker("doomed")
    order_ids = post_orders(web_server, demo_channel, "KILL", 6)
    wait_until(
        lambda: (
            GateSlot.objects.filter(holder_id__isnull=False, lease_until__gt=time_now()).count()
            == 3
            and postings(order_ids).filter(state=TransactionState.PROCESSING).count() == 3
        ),
        timeout=60,
        what="three postings in flight in the doomed worker, holding the three slots",
    )
    doomed.kill()
    erp.configure(latency_ms=0)
    thread_worker("survivor")
    wait_all_posted(order_ids, timeout=120)

    assert_each_posted_once(erp, order_ids)
    assert postings(order_ids).filter(state=TransactionState.SUCCEEDED).count() == 6
    history = list(
        TransactionEvent.objects.filter(transaction__in=postings(order_ids))
        .order_by("transaction_id", "id")
        .values_list("transaction_id", "kind", "message")
    )
    assert any(kind == EventKind.LEASE_EXPIRED for _, kind, _ in history), history
    assert not GateSlot.objects.filter(holder_id__isnull=False, lease_until__gt=time_now())


def test_a_thread_worker_goes_on_posting_after_rabbitmq_restarts_under_it(
    demo_channel, web_server, erp, thread_worker
):
    # Found by make chaos once it ran production's thread pool: after the reconnect Celery
    # raised its lowered prefetch count from the pool thread whose ack had failed, that
    # thread and the main thread waited on one connection for ever, and the worker never
    # consumed again (CELERY_WORKER_ENABLE_PREFETCH_COUNT_REDUCTION is off since). That
    # race is timing-bound and this test did not hit it on the old setting; it keeps the
    # restart path of the thread pool covered in make test, and make chaos is its check.
    erp.configure(latency_ms=3000)
    worker = thread_worker("restart")
    before = post_orders(web_server, demo_channel, "RMQ", 6)
    wait_until(
        lambda: postings(before).filter(state=TransactionState.PROCESSING).count() >= 4,
        timeout=60,
        what="postings in flight when RabbitMQ stops",
    )
    service("rabbitmq", "stop")
    service("rabbitmq", "start")
    erp.configure(latency_ms=0)
    after = post_orders(web_server, demo_channel, "RMQ-AFTER", 6)

    wait_all_posted(before + after, timeout=120)
    worker.check_running()
    assert_each_posted_once(erp, before + after)
