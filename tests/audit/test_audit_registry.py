"""A kind declared only here is picked up everywhere: runner, sweeper, admin, retry policy, beat.

Nothing outside this module knows the toy kind; if any of those places kept a
list of its own, these tests would fail.
"""

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from syncplatform.audit import registry
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.schedules import ensure_declared_rows
from syncplatform.audit.services import open_transaction, sweep_due_transactions
from syncplatform.audit.tasks import run_scheduled_job_task

TOY = "toy.stocktake.sync"
handled: list[int] = []
job_runs: list[str] = []


def count_stock(tx: SyncTransaction) -> Outcome:
    handled.append(tx.pk)
    return Outcome(message=f"counted {tx.business_key}")


def stocktake_job() -> None:
    job_runs.append("ran")


@pytest.fixture
def toy_kind():
    handled.clear()
    job_runs.clear()
    registry.transaction_kind(
        TOY,
        description="Toy stocktake sync (test only)",
        lane=registry.Lane.BATCH,
        subject="partners.Partner",
        retry=registry.RetryDefaults(3, (11, 22)),
        schedule=registry.Schedule(
            key=TOY, job=stocktake_job, every_seconds=3600, name="toy stocktake"
        ),
    )(count_stock)
    yield TOY
    registry.unregister(TOY)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list, str]]:
    """What was published: (task, args, queue); the queue is the kind's lane."""
    sent: list[tuple[str, list, str]] = []
    monkeypatch.setattr(
        "syncplatform.audit.dispatch.celery_app.send_task",
        lambda name, args=None, **options: sent.append((name, list(args), options["queue"])),
    )
    return sent


def open_toy(channel, **fields) -> SyncTransaction:
    return open_transaction(
        kind=TOY,
        partner=channel,
        business_key="STOCKTAKE-1",
        correlation_id="toy-1",
        subject=channel,
        message="toy opened",
        **fields,
    )


def test_the_runner_runs_the_declared_handler(toy_kind, channel):
    tx = open_toy(channel)

    result = run_transaction(tx.pk)

    assert handled == [tx.pk]
    assert result.state == TransactionState.SUCCEEDED
    assert result.events.last().message == "counted STOCKTAKE-1"
    assert tx.subject == channel


def test_publishing_and_the_sweeper_use_the_declared_lane(
    toy_kind, channel, sent, make_due, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tx = open_toy(channel)
    make_due(tx)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions() == 1

    task = "syncplatform.audit.tasks.run_transaction_task"
    assert sent == [(task, [tx.pk], "batch"), (task, [tx.pk], "batch")]


def test_a_failure_retries_by_the_declared_policy(toy_kind, channel):
    tx = open_toy(channel)

    def down(tx):
        raise ConnectionError("stock service down")

    run_transaction(tx.pk, down)

    assert RetryPolicy.for_kind(TOY).delays_seconds == [11, 22]
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.state == TransactionState.RETRYING
    assert 8 <= (stored.next_attempt_at - stored.updated_at).total_seconds() <= 14


def test_migrate_makes_its_retry_policy_row_and_its_beat_row(toy_kind, db):
    ensure_declared_rows()

    policy = RetryPolicy.objects.get(kind=TOY)
    assert (policy.max_attempts, policy.delays_seconds) == (3, [11, 22])
    beat = PeriodicTask.objects.get(name="toy stocktake")
    assert (beat.task, json.loads(beat.args), beat.queue, beat.interval.every) == (
        "syncplatform.audit.tasks.run_scheduled_job_task",
        [TOY],
        "batch",
        3600,
    )
    run_scheduled_job_task(*json.loads(beat.args))
    assert job_runs == ["ran"]


def test_the_admin_filters_by_it_and_links_it_to_its_subject(toy_kind, channel, admin_client):
    tx = open_toy(channel)
    url = reverse("admin:audit_synctransaction_changelist")

    listing = admin_client.get(url)
    filtered = admin_client.get(url, {"kind": TOY})
    page = admin_client.get(reverse("admin:audit_synctransaction_change", args=[tx.pk]))

    assert f"{TOY}: Toy stocktake sync (test only)" in listing.content.decode()
    assert list(filtered.context["cl"].result_list) == [tx]
    partner_url = reverse("admin:partners_partner_change", args=[channel.pk])
    assert f'href="{partner_url}"' in page.content.decode()


def test_a_subject_of_another_model_is_refused(toy_kind, channel):
    tx = open_toy(channel)

    with pytest.raises(
        ValueError, match=r"toy\.stocktake\.sync carries partners\.Partner, not audit"
    ):
        open_transaction(
            kind=TOY,
            partner=channel,
            business_key="X",
            correlation_id="x",
            subject=tx,
            message="wrong subject",
        )


def test_a_stored_row_of_a_kind_nobody_declares_fails_visibly_and_never_blocks_the_sweep(
    channel, sent, make_due, django_capture_on_commit_callbacks
):
    orphan = SyncTransaction.objects.create(
        kind="gone.app.kind", partner=channel, business_key="OLD-1", correlation_id="c"
    )
    make_due(orphan)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions() == 1
    result = run_transaction(orphan.pk)

    assert sent == [("syncplatform.audit.tasks.run_transaction_task", [orphan.pk], "batch")]
    assert (result.state, result.last_error_code) == (TransactionState.FAILED, "unknown_kind")
    assert "no transaction kind 'gone.app.kind' is declared" in result.last_error_message
