"""Gates: the in-flight cap, FIFO waiting, the breaker and slot leases, through the runner.

A toy kind with a gate of fixed target stands in for the ERP posting; the
runner's own ``claim`` and ``run_transaction`` drive it against the test database.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.errors import TransientError
from syncplatform.audit import registry
from syncplatform.audit.choices import BreakerState, EventKind, TransactionState
from syncplatform.audit.gates import wake_gates
from syncplatform.audit.models import Breaker, GateSlot, GateWaiter, SyncTransaction
from syncplatform.audit.registry import Gate, GateTarget, Lane, RetryDefaults
from syncplatform.audit.runner import Outcome, _finish, claim, run_transaction
from syncplatform.audit.services import open_transaction

TOY = "test.gated"
KEY = "toy-endpoint:1"
CAPACITY = {"value": 2}


def toy_target(tx):
    return GateTarget(KEY, CAPACITY["value"], "toy endpoint")


@pytest.fixture
def gated_kind():
    CAPACITY["value"] = 2
    registry.register_kind(
        registry.TransactionKind(
            code=TOY,
            description="gated toy",
            handler=lambda tx: Outcome("ok"),
            lane=Lane.REALTIME,
            subject="partners.Partner",
            retry=RetryDefaults(5, (1,)),
            gate=Gate(
                target=toy_target, failures_to_open=2, window_seconds=60, cool_down_seconds=30
            ),
        )
    )
    yield TOY
    registry.unregister(TOY)


@pytest.fixture
def toy(gated_kind, channel):
    def create(key: str) -> SyncTransaction:
        return open_transaction(
            kind=TOY, partner=channel, business_key=key, correlation_id=key, message="in"
        )

    return create


def state_of(tx) -> SyncTransaction:
    return SyncTransaction.objects.get(pk=tx.pk)


def published_ids(published) -> list[int]:
    return [args[0] for _, args in published]


def finish(tx, **result):
    return _finish(tx, time.monotonic(), **result)


def held_messages(tx) -> list[str]:
    return list(tx.events.filter(kind=EventKind.HELD).values_list("message", flat=True))


@pytest.mark.django_db(transaction=True)
def test_cap_holds_the_third_posting_waiting_without_an_attempt_and_a_release_hands_it_the_slot(
    toy, published
):
    first, second, third = toy("A-1"), toy("A-2"), toy("A-3")
    assert claim(first.pk) is not None and claim(second.pk) is not None
    assert claim(third.pk) is None

    waiting = state_of(third)
    assert waiting.state == TransactionState.WAITING and waiting.attempts == 0
    # On PostgreSQL the claim wrote the attempt's start before trying the slot: undone.
    assert list(waiting.events.order_by("pk").values_list("kind", flat=True)) == [
        EventKind.RECEIVED,
        EventKind.HELD,
    ]
    assert held_messages(waiting) == [
        "waiting for a free slot at toy endpoint (at most 2 in flight)"
    ]
    assert GateSlot.objects.filter(holder_id__isnull=False).count() == 2
    published.clear()

    finish(state_of(first), outcome=Outcome("ok"), signal="answered")
    assert published_ids(published) == [third.pk]  # the releaser publishes the waiter
    assert GateSlot.objects.get(holder_id=third.pk)  # reserved for it
    # A newcomer does not take the slot reserved for the waiter.
    newcomer = toy("A-4")
    assert claim(newcomer.pk) is None
    started = claim(third.pk)
    assert started.state == TransactionState.PROCESSING and started.attempts == 1
    assert not GateWaiter.objects.filter(transaction_id=third.pk).exists()
    # A second delivery of a waiting row neither starts it nor adds an event.
    assert claim(newcomer.pk) is None
    assert len(held_messages(state_of(newcomer))) == 1


@pytest.mark.django_db(transaction=True)
def test_waiters_go_in_arrival_order(toy, published):
    CAPACITY["value"] = 1
    running = toy("F-0")
    waiters = [toy(f"F-{n}") for n in range(1, 5)]
    assert claim(running.pk) is not None
    for tx in waiters:
        assert claim(tx.pk) is None
    order = []
    current = running
    for _ in waiters:
        published.clear()
        finish(state_of(current), outcome=Outcome("ok"), signal="answered")
        (woken,) = published_ids(published)
        order.append(woken)
        current = claim(woken)
        assert current is not None
    assert order == [tx.pk for tx in waiters]


@pytest.mark.django_db(transaction=True)
def test_breaker_opens_holds_without_spending_attempts_probes_and_closes(toy, published, client):
    CAPACITY["value"] = 4
    one, two, three = toy("B-1"), toy("B-2"), toy("B-3")
    claim(one.pk), claim(two.pk)
    finish(state_of(one), retry=TransientError("ERP timed out"))
    assert Breaker.objects.get(key=KEY).state == BreakerState.CLOSED
    finish(state_of(two), retry=TransientError("ERP timed out"))
    breaker = Breaker.objects.get(key=KEY)
    assert breaker.state == BreakerState.OPEN and breaker.consecutive_failures == 2

    ready = client.get("/readyz").json()
    assert ready["status"] == "degraded"
    assert ready["checks"]["breakers"].startswith("toy endpoint: breaker open since ")

    # While open: a new posting and a due retry are both held, neither spends an attempt.
    assert claim(three.pk) is None
    SyncTransaction.objects.filter(pk=one.pk).update(next_attempt_at=timezone.now())
    assert claim(one.pk) is None
    assert state_of(three).attempts == 0 and state_of(one).attempts == 1
    assert held_messages(state_of(three)) == [
        "held back by the breaker of toy endpoint: open since "
        f"{breaker.opened_at:%H:%M:%S} after 2 failures (transient: ERP timed out)"
    ]

    # Cool-down over: the oldest waiter is the one probe; the rest stay held.
    published.clear()
    Breaker.objects.filter(key=KEY).update(opened_at=timezone.now() - timedelta(seconds=31))
    assert wake_gates() == 1
    assert published_ids(published) == [three.pk]
    assert Breaker.objects.get(key=KEY).state == BreakerState.HALF_OPEN
    assert claim(one.pk) is None
    probe = claim(three.pk)
    assert probe is not None

    # The probe fails: open again; then the next probe succeeds and the waiters go in.
    finish(probe, retry=TransientError("still down"))
    assert Breaker.objects.get(key=KEY).state == BreakerState.OPEN
    Breaker.objects.filter(key=KEY).update(opened_at=timezone.now() - timedelta(seconds=31))
    published.clear()
    assert wake_gates() == 1 and published_ids(published) == [one.pk]
    finish(claim(one.pk), outcome=Outcome("ok"), signal="answered")
    assert Breaker.objects.get(key=KEY).state == BreakerState.CLOSED
    assert client.get("/readyz").json()["status"] == "ready"
    assert state_of(one).state == TransactionState.SUCCEEDED and state_of(one).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_slot_frees_itself_with_its_lease(toy, published):
    CAPACITY["value"] = 1
    killed, next_one = toy("K-1"), toy("K-2")
    assert claim(killed.pk) is not None
    assert claim(next_one.pk) is None  # the one slot is held
    # The worker was SIGKILLed: nobody releases; its lease runs out.
    past = timezone.now() - timedelta(seconds=1)
    GateSlot.objects.filter(holder_id=killed.pk).update(lease_until=past)
    SyncTransaction.objects.filter(pk=killed.pk).update(lease_until=past)
    published.clear()
    assert wake_gates() == 1 and published_ids(published) == [next_one.pk]
    assert run_transaction(next_one.pk).state == TransactionState.SUCCEEDED
    # The killed attempt, swept again, takes the freed slot as a new attempt.
    again = claim(killed.pk)
    assert again is not None and again.attempts == 2
    assert list(
        GateSlot.objects.filter(holder_id__isnull=False).values_list("holder_id", flat=True)
    ) == [killed.pk]


@pytest.mark.django_db(transaction=True)
def test_a_lost_attempt_held_back_by_its_gate_says_its_lease_expired(toy, published):
    CAPACITY["value"] = 1
    killed, next_one = toy("L-1"), toy("L-2")
    assert claim(killed.pk) is not None
    assert claim(next_one.pk) is None
    past = timezone.now() - timedelta(seconds=1)
    GateSlot.objects.filter(holder_id=killed.pk).update(lease_until=past)
    SyncTransaction.objects.filter(pk=killed.pk).update(lease_until=past)
    wake_gates()
    assert claim(next_one.pk) is not None  # the waiter took the freed slot
    # The sweeper publishes the killed attempt again; the slot is taken, so it waits.
    assert claim(killed.pk) is None
    held = state_of(killed)
    assert held.state == TransactionState.WAITING and held.attempts == 1
    assert list(held.events.order_by("id").values_list("kind", flat=True))[-2:] == [
        EventKind.LEASE_EXPIRED,
        EventKind.HELD,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_posting_whose_target_is_unknown_is_not_held(new_transaction):
    tx = new_transaction("NO-GATE")
    assert claim(tx.pk) is not None
    assert not Breaker.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_waiter_whose_reservation_ran_out_is_handed_one_slot_not_two(toy, published):
    running, other, waiter = toy("R-1"), toy("R-2"), toy("R-3")
    claim(running.pk), claim(other.pk)
    assert claim(waiter.pk) is None
    finish(state_of(other), outcome=Outcome("ok"), signal="answered")  # frees slot 2
    assert GateSlot.objects.get(holder_id=waiter.pk).number == 2
    # Its publish was slow: the reservation ran out before a worker claimed it.
    GateSlot.objects.filter(holder_id=waiter.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    finish(state_of(running), outcome=Outcome("ok"), signal="answered")  # frees slot 1
    wake_gates()
    assert GateSlot.objects.filter(holder_id=waiter.pk).count() == 1
    finish(claim(waiter.pk), outcome=Outcome("ok"), signal="answered")
    assert not GateSlot.objects.filter(holder_id__isnull=False).exists()
