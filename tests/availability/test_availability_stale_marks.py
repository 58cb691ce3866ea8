"""Orders and shipments mark their SKUs stale in their own transaction; one job collects them."""

from django.db import transaction
from django.utils import timezone

from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.availability.models import RecomputeChunk, StaleAvailability
from syncplatform.availability.services import collect_stale_availability
from syncplatform.availability.services import stale as stale_module
from tests.fulfillment.fulfillment_files import order_line


def test_an_order_marks_its_skus_and_publishes_nothing_more(posted_order, published):
    posted_order(
        "WEB-1",
        lines=[order_line(1, "TSHIRT-BLK-M", 1), order_line(2, "SOCKS-3PK", 2)],
        post=False,
    )

    marks = StaleAvailability.objects.values_list("channel_location", "channel_sku", "cause")
    assert sorted(marks) == [
        ("STORE-017", "SOCKS-3PK", "order"),
        ("STORE-017", "TSHIRT-BLK-M", "order"),
    ]
    assert not SyncTransaction.objects.filter(kind__startswith="availability.").exists()


def test_a_mark_names_the_orders_channel_and_when_it_was_made(posted_order, published):
    before = timezone.now()
    order = posted_order("WEB-2", lines=[order_line(1, "TSHIRT-BLK-M", 1)], post=False)

    [mark] = StaleAvailability.objects.all()
    assert mark.channel_id == order.channel_id
    assert before <= mark.created_at <= timezone.now()


def test_an_order_rolled_back_leaves_no_mark(posted_order):
    try:
        with transaction.atomic():
            posted_order("WEB-1", lines=[order_line(1, "TSHIRT-BLK-M", 1)])
            raise RuntimeError("the order's transaction fails")
    except RuntimeError:
        pass

    assert not StaleAvailability.objects.exists()


def test_many_orders_are_collected_into_one_chunk_per_location(
    posted_order, published, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(stale_module, "COLLECT_BATCH", 3)  # several passes of one run
    for n in range(4):
        posted_order(f"WEB-{n}", lines=[order_line(1, "TSHIRT-BLK-M", 1)], post=False)
    posted_order("WEB-9", location="WEB-DC", lines=[order_line(1, "SOCKS-3PK", 1)], post=False)
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        queued = collect_stale_availability()

    chunks = RecomputeChunk.objects.order_by("channel_location", "pk")
    assert [(c.channel_location, c.skus) for c in chunks] == [
        ("STORE-017", ["TSHIRT-BLK-M"]),
        ("STORE-017", ["TSHIRT-BLK-M"]),  # the second pass's marks
        ("WEB-DC", ["SOCKS-3PK"]),
    ]
    assert queued == 3
    assert not StaleAvailability.objects.exists()
    assert [name for name, _ in published] == [RUN_TRANSACTION_TASK] * 3
    assert collect_stale_availability() == 0
