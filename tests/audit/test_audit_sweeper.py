"""The sweeper re-publishes rows that should move: lost publishes, due retries, dead workers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.audit.tasks import run_scheduled_job_task

pytestmark = pytest.mark.django_db

POST_TASK = "syncplatform.audit.tasks.run_transaction_task"


@pytest.fixture
def rows(new_transaction, make_due, expire_lease):
    """One row in every situation the sweeper must tell apart, keyed by a name."""
    found = {}

    found["received_due"] = new_transaction("received-due")
    make_due(found["received_due"])
    found["received_future"] = new_transaction("received-future")  # within the grace

    found["retrying_due"] = new_transaction("retrying-due")
    found["retrying_due"].start_attempt(60)
    found["retrying_due"].schedule_retry("t", "x", delay=timedelta(seconds=60))
    make_due(found["retrying_due"])
    found["retrying_future"] = new_transaction("retrying-future")
    found["retrying_future"].start_attempt(60)
    found["retrying_future"].schedule_retry("t", "x", delay=timedelta(seconds=60))

    found["processing_expired"] = new_transaction("processing-expired")
    found["processing_expired"].start_attempt(60)
    expire_lease(found["processing_expired"])
    found["processing_live"] = new_transaction("processing-live")
    found["processing_live"].start_attempt(60)

    found["succeeded"] = new_transaction("succeeded")
    found["succeeded"].start_attempt(60)
    found["succeeded"].succeed("ok")
    found["failed"] = new_transaction("failed")
    found["failed"].start_attempt(60)
    found["failed"].fail("erp_rejected", "no")
    for name in ("succeeded", "failed"):  # even an old schedule must not revive them
        make_due(found[name], seconds_ago=600)
    return found


def test_given_rows_in_every_state_when_swept_then_only_due_ones_are_published_after_commit(
    rows, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = sweep_due_transactions()
        assert published == []  # nothing leaves before the sweep's transaction commits

    expected = sorted(
        rows[name].pk for name in ("received_due", "retrying_due", "processing_expired")
    )
    assert count == 3
    assert len(callbacks) == 3
    assert published == [(POST_TASK, [pk]) for pk in expected]


def test_given_swept_rows_then_next_attempt_is_pushed_by_the_grace_and_states_untouched(
    rows, settings, django_capture_on_commit_callbacks
):
    states_before = dict(SyncTransaction.objects.values_list("pk", "state"))
    events_before = {name: tx.events.count() for name, tx in rows.items()}
    start = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_due_transactions()

    grace = timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS)
    for name in ("received_due", "retrying_due", "processing_expired"):
        stored = SyncTransaction.objects.get(pk=rows[name].pk)
        assert start + grace <= stored.next_attempt_at <= timezone.now() + grace, name
    assert dict(SyncTransaction.objects.values_list("pk", "state")) == states_before
    assert {name: tx.events.count() for name, tx in rows.items()} == events_before


def test_given_a_sweep_just_ran_when_swept_again_then_nothing_is_published(
    rows, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sweep_due_transactions()
    published.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = sweep_due_transactions()

    assert (count, callbacks, published) == (0, [], [])


def test_given_more_due_rows_than_the_batch_then_the_oldest_are_published_first(
    new_transaction, make_due, published, django_capture_on_commit_callbacks
):
    created = [new_transaction(f"WEB-{n}") for n in range(3)]
    for tx in created:
        make_due(tx)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions(limit=2) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions(limit=2) == 1

    assert published == [(POST_TASK, [tx.pk]) for tx in created]


def test_given_nothing_due_then_the_sweep_publishes_nothing_and_returns_zero(
    new_transaction, published, django_capture_on_commit_callbacks
):
    new_transaction("WEB-fresh")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sweep_due_transactions() == 0
    # Only open_transaction's own publish was captured (it ran in this test's transaction).
    assert published == []
    assert callbacks == []


def test_the_beat_task_runs_the_sweep(
    new_transaction, make_due, published, django_capture_on_commit_callbacks
):
    tx = new_transaction("WEB-beat")
    make_due(tx)

    with django_capture_on_commit_callbacks(execute=True):
        run_scheduled_job_task.run("audit.sweep")

    assert published == [(POST_TASK, [tx.pk])]


def test_given_grace_passed_and_nobody_claimed_then_the_rows_are_published_again(
    rows, published, make_due, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sweep_due_transactions()
    published.clear()
    for name in ("received_due", "processing_expired"):  # the grace ran out, still stuck
        make_due(rows[name])

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions() == 2

    assert published == [
        (POST_TASK, [rows["received_due"].pk]),
        (POST_TASK, [rows["processing_expired"].pk]),
    ]
