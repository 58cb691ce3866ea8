"""The gate's one-statement admission and release on PostgreSQL (audit.gates).

With the breaker closed and nobody waiting, a claim takes its slot and an
outcome frees it in one statement each; whatever went the general way since
such a statement's snapshot sends it the general way too. Real PostgreSQL,
two sessions where the race needs them.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.gates import wake_gates
from syncplatform.audit.models import Breaker, GateSlot
from syncplatform.audit.runner import Outcome, claim
from tests.audit.test_audit_gates import (  # noqa: F401 - fixtures
    CAPACITY,
    KEY,
    finish,
    gated_kind,
    published_ids,
    state_of,
    toy,
)

GATE_TABLES = ("audit_breaker", "audit_gateslot", "audit_gatewaiter")
SUCCEEDED_ONCE = [EventKind.RECEIVED, EventKind.ATTEMPT_STARTED, EventKind.ATTEMPT_SUCCEEDED]


def kinds_of_events(tx) -> list[str]:
    return list(state_of(tx).events.order_by("pk").values_list("kind", flat=True))


def gate_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in GATE_TABLES)]


def claim_in_another_session(tx) -> tuple[threading.Thread, list]:
    """Start claiming ``tx`` in a thread (its own session); the claim's result lands in the list."""
    claimed = []

    def run():
        try:
            claimed.append(claim(tx.pk))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, claimed


def wait_until_a_session_waits_for_a_lock(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # A transaction keeps its first view of pg_stat_activity unless told not to.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no session came to wait for the breaker's lock")


@pytest.mark.django_db(transaction=True)
def test_with_nobody_waiting_a_claim_and_an_outcome_touch_the_gate_in_one_statement_each(
    toy,  # noqa: F811
    published,
):
    # given: the breaker and its slots exist (the first claim creates them)
    finish(claim(toy("W-0").pk), outcome=Outcome("ok"), signal="answered")
    version = Breaker.objects.get(key=KEY).version

    # when
    with CaptureQueriesContext(connection) as admitted:
        started = claim(toy("W-1").pk)
    state_when_started = started.state
    held = list(GateSlot.objects.filter(holder_id=started.pk).values_list("number", flat=True))
    with CaptureQueriesContext(connection) as released:
        done = finish(started, outcome=Outcome("ok"), signal="answered")

    # then
    assert state_when_started == TransactionState.PROCESSING and held == [1]
    assert done.state == TransactionState.SUCCEEDED
    assert not GateSlot.objects.filter(holder_id__isnull=False).exists()
    assert len(gate_statements(admitted)) == 1, gate_statements(admitted)
    assert len(gate_statements(released)) == 1, gate_statements(released)
    assert Breaker.objects.get(key=KEY).version == version  # nobody went the general way
    # the success and its event ride in the statement that frees the slot
    (freeing,) = gate_statements(released)
    assert 'UPDATE "audit_synctransaction"' in freeing
    assert 'INSERT INTO "audit_transactionevent"' in freeing
    writes = [q["sql"] for q in released.captured_queries if "INSERT" in q["sql"]]
    assert writes == [freeing]
    assert kinds_of_events(done) == SUCCEEDED_ONCE


@pytest.mark.django_db(transaction=True)
def test_a_full_gate_and_a_transient_failure_go_the_general_way(toy, published):  # noqa: F811
    CAPACITY["value"] = 1
    running, newcomer = toy("G-1"), toy("G-2")
    running = claim(running.pk)
    version = Breaker.objects.get(key=KEY).version

    assert claim(newcomer.pk) is None  # cap full: queued by the general path
    assert state_of(newcomer).state == TransactionState.WAITING
    assert Breaker.objects.get(key=KEY).version == version + 1

    from connectors.errors import TransientError

    finish(running, retry=TransientError("ERP timed out"))
    breaker = Breaker.objects.get(key=KEY)
    assert breaker.consecutive_failures == 1 and breaker.version == version + 2
    assert GateSlot.objects.get(holder_id=newcomer.pk)  # handed to the waiter


@pytest.mark.django_db(transaction=True)
def test_a_release_that_waited_for_the_breaker_while_a_posting_queued_hands_it_the_slot(
    toy,  # noqa: F811
    published,
):
    # given: one slot, held by a running posting
    CAPACITY["value"] = 1
    running, newcomer = toy("Q-1"), toy("Q-2")
    running = claim(running.pk)
    released = []

    def record_the_outcome():
        try:
            released.append(finish(running, outcome=Outcome("ok"), signal="answered"))
        finally:
            connections.close_all()

    # when: the outcome's statement starts while another session queues a posting and
    # holds the breaker, so its snapshot cannot see the waiter it must hand the slot to
    with transaction.atomic():
        assert claim(newcomer.pk) is None
        releaser = threading.Thread(target=record_the_outcome)
        releaser.start()
        wait_until_a_session_waits_for_a_lock()
    releaser.join(30)

    # then: it noticed, went the general way and woke the waiter; its success, written
    # in the first statement, once
    assert released and released[0].state == TransactionState.SUCCEEDED
    assert state_of(running).state == TransactionState.SUCCEEDED
    assert kinds_of_events(running) == SUCCEEDED_ONCE
    assert GateSlot.objects.get(holder_id=newcomer.pk)
    assert published_ids(published)[-1] == newcomer.pk
    assert claim(newcomer.pk).state == TransactionState.PROCESSING


@pytest.mark.django_db(transaction=True)
def test_an_admission_that_waited_for_the_breaker_does_not_take_a_slot_taken_meanwhile(
    toy,  # noqa: F811
    published,
):
    # given: two slots, one held
    running, first, second = toy("T-1"), toy("T-2"), toy("T-3")
    claim(running.pk)

    # when: the second claim's statement waits while the first takes the last slot
    with transaction.atomic():
        assert claim(first.pk) is not None
        claimer, admitted = claim_in_another_session(second)
        wait_until_a_session_waits_for_a_lock()
    claimer.join(30)

    # then: the cap held; the second waits
    assert admitted == [None]
    assert state_of(second).state == TransactionState.WAITING
    holders = set(GateSlot.objects.exclude(holder_id=None).values_list("holder_id", flat=True))
    assert holders == {running.pk, first.pk}


@pytest.mark.django_db(transaction=True)
def test_the_wake_job_passes_over_a_breaker_another_session_holds(toy, published):  # noqa: F811
    # given: one slot, held; a posting waits at the gate
    CAPACITY["value"] = 1
    running, waiting = toy("S-1"), toy("S-2")
    claim(running.pk)
    assert claim(waiting.pk) is None
    woken = []

    def wake():
        try:
            woken.append(wake_gates())
        finally:
            connections.close_all()

    # when: the wake job runs while another session holds the breaker's lock
    with transaction.atomic():
        Breaker.objects.select_for_update().get(key=KEY)
        waker = threading.Thread(target=wake)
        waker.start()
        waker.join(15)
        done_while_held = not waker.is_alive()
    waker.join(30)

    # then: it did not wait for the lock, and left the breaker and its queue alone
    assert done_while_held and woken == [0]
    assert state_of(waiting).state == TransactionState.WAITING


@pytest.mark.django_db(transaction=True)
def test_an_admission_that_waited_while_another_went_the_general_way_takes_its_slot_at_once(
    toy,  # noqa: F811
    published,
):
    # given: three slots; the breaker exists
    CAPACITY["value"] = 3
    finish(claim(toy("N-0").pk), outcome=Outcome("ok"), signal="answered")
    first, second = toy("N-1"), toy("N-2")
    version = Breaker.objects.get(key=KEY).version

    # when: the second claim's statement waits for the breaker while another session
    # takes a slot and goes the general way (which raises the version), so the
    # snapshot it started with is out of date once it holds the lock
    with transaction.atomic():
        assert claim(first.pk) is not None
        Breaker.objects.filter(key=KEY).update(version=F("version") + 1)
        claimer, admitted = claim_in_another_session(second)
        wait_until_a_session_waits_for_a_lock()
    claimer.join(30)

    # then: holding the lock it looked again and took the next slot in one statement,
    # instead of going the general way too (which raises the version again: with 16
    # threads, every admission queued behind one general path went general itself)
    assert admitted and admitted[0].state == TransactionState.PROCESSING
    numbers = dict(GateSlot.objects.exclude(holder_id=None).values_list("holder_id", "number"))
    assert numbers == {first.pk: 1, second.pk: 2}
    assert Breaker.objects.get(key=KEY).version == version + 1
    started = state_of(second)
    assert started.attempts == 1
    assert started.events.filter(kind=EventKind.ATTEMPT_STARTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_locks_the_breaker_in_its_last_statement_which_also_starts_the_attempt(
    toy,  # noqa: F811
    published,
):
    # given: the breaker and its slots exist
    finish(claim(toy("L-0").pk), outcome=Outcome("ok"), signal="answered")
    posting = toy("L-1")

    # when
    with CaptureQueriesContext(connection) as claimed:
        assert claim(posting.pk) is not None

    # then: the statement that locks the breaker (every posting to it waits for that
    # lock) is the claim's last before the commit, and it writes the attempt's start
    # and its event too: no savepoint, no second round trip under the lock
    statements = [q["sql"] for q in claimed.captured_queries]
    gate_at = next(i for i, sql in enumerate(statements) if "audit_breaker" in sql)
    assert statements[gate_at + 1 :] == ["COMMIT"], statements
    assert 'UPDATE "audit_synctransaction"' in statements[gate_at]
    assert 'INSERT INTO "audit_transactionevent"' in statements[gate_at]
    assert not [sql for sql in statements if "SAVEPOINT" in sql], statements
    assert [kind for kind in state_of(posting).events.values_list("kind", flat=True)] == [
        EventKind.RECEIVED,
        EventKind.ATTEMPT_STARTED,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_release_that_waited_while_another_went_the_general_way_frees_its_slot_at_once(
    toy,  # noqa: F811
    published,
):
    # given: three slots, two held
    CAPACITY["value"] = 3
    first, second = claim(toy("R-1").pk), claim(toy("R-2").pk)
    version = Breaker.objects.get(key=KEY).version
    released = []

    def record_the_outcome():
        try:
            released.append(finish(second, outcome=Outcome("ok"), signal="answered"))
        finally:
            connections.close_all()

    # when: the outcome's statement waits for the breaker while another session goes
    # the general way (which raises the version), so its snapshot is out of date
    # once it holds the lock
    with transaction.atomic():
        Breaker.objects.filter(key=KEY).update(version=F("version") + 1)
        releaser = threading.Thread(target=record_the_outcome)
        releaser.start()
        wait_until_a_session_waits_for_a_lock()
    releaser.join(30)

    # then: holding the lock it looked again and freed its slot in one statement,
    # instead of going the general way too (which raises the version again, for
    # every release and admission queued behind it: make bench saw one general
    # path per posting once such a cascade began)
    assert released and released[0].state == TransactionState.SUCCEEDED
    assert Breaker.objects.get(key=KEY).version == version + 1
    holders = set(GateSlot.objects.exclude(holder_id=None).values_list("holder_id", flat=True))
    assert holders == {first.pk}
    assert kinds_of_events(second) == SUCCEEDED_ONCE  # the second look wrote it no more
