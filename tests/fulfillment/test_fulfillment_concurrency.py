"""Concurrent batch runs: control numbers are never handed out twice, orders never sent twice.

Each thread has its own database connection (Django's are per thread) and
commits for real (``transactional_db``), as concurrent workers would.
"""

import threading
from collections import Counter

from django.db import connections

from connectors.edi.envelope import read_interchanges
from connectors.edi.w940 import read_940
from syncplatform.fulfillment.choices import Direction
from syncplatform.fulfillment.models import Interchange, ShippingOrder
from syncplatform.fulfillment.services import send_shipping_orders
from syncplatform.fulfillment.services.connections import next_control_number


def in_threads(count: int, work) -> list:
    """Run ``work()`` in ``count`` threads started together; their results, or the first error."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, name=f"batch-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    if errors:
        raise errors[0]
    return results


def test_given_8_threads_drawing_25_numbers_each_then_200_distinct_consecutive_numbers(
    transactional_db, warehouse
):
    drawn = in_threads(8, lambda: [next_control_number(warehouse) for _ in range(25)])

    numbers = [number for batch in drawn for number in batch]
    assert len(numbers) == 200
    assert sorted(numbers) == list(range(1, 201))
    assert all(batch == sorted(batch) for batch in drawn)  # each caller sees them increase


def depositor_numbers(interchange: Interchange) -> list[str]:
    [parsed] = read_interchanges(bytes(interchange.content))
    return [read_940(ts).depositor_order_number for ts in parsed.groups[0].transaction_sets]


def check_each_order_sent_once(orders, published) -> None:
    interchanges = list(Interchange.objects.filter(direction=Direction.OUTBOUND).order_by("pk"))
    assert len({i.isa_control_number for i in interchanges}) == len(interchanges)
    assert sorted(int(i.isa_control_number) for i in interchanges) == list(
        range(1, len(interchanges) + 1)
    )
    assert Counter(ShippingOrder.objects.values_list("order_id", flat=True)) == Counter(
        {order.pk: 1 for order in orders}
    )
    in_files = [number for i in interchanges for number in depositor_numbers(i)]
    assert sorted(in_files) == sorted(order.erp_reference for order in orders)
    for interchange in interchanges:
        by_set = dict(interchange.shipping_orders.values_list("set_control_number", "order_id"))
        assert [f"SP-{by_set[c]:010d}" for c in interchange.set_control_numbers] == (
            depositor_numbers(interchange)
        )
    uploads = {i.transaction_id for i in interchanges}
    published_uploads = [args[0] for name, args in published if args[0] in uploads]
    assert sorted(published_uploads) == sorted(uploads)


def test_given_40_posted_orders_when_8_batch_runs_race_then_each_order_is_sent_exactly_once(
    transactional_db, config, posted_order, published
):
    """Small batches and several rounds: a run that re-locks an order another run just
    committed (a stale snapshot) raised IntegrityError in one round of three to ten."""

    def send_until_done() -> list[int]:
        sent = []
        while (interchange := send_shipping_orders(config.partner_id, limit=1)) is not None:
            sent.append(interchange.pk)
        return sent

    orders = []
    for round_ in range(6):
        orders += [posted_order(f"WEB-R{round_}-{n:02d}") for n in range(40)]

        runs = in_threads(8, send_until_done)

        returned = sorted(pk for run in runs for pk in run)
        assert len(returned) == 40
        check_each_order_sent_once(orders, published)
        assert send_shipping_orders(config.partner_id) is None
