"""A publication run ends when its chunk fails for good or is resolved, so the next run starts."""

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction, resolve_transaction
from syncplatform.catalog.choices import PublishState
from syncplatform.catalog.models import Listing, PublicationRun
from syncplatform.catalog.models.publication import PublicationStatus
from syncplatform.catalog.services.publication import CATALOG_PUBLISH, start_publication
from tests.catalog.publication_fixtures import (
    make_listing,
    run_publication_chunks,
)


def _run_first_chunk_then_break_the_token(channel, config, settings) -> PublicationRun:
    """5 pending listings in chunks of 2: chunk 1 publishes, chunk 2 meets a wrong token."""
    settings.SYNC_CATALOG_PUBLISH_CHUNK = 2
    for n in range(5):
        make_listing(channel, f"MAT-{n}")
    run = start_publication(channel.pk)
    run_transaction(SyncTransaction.objects.get(kind=CATALOG_PUBLISH).pk)
    config.shop_access_token = "not-the-token"
    config.save()
    run_publication_chunks()
    run.refresh_from_db()
    return run


def test_a_chunk_that_fails_for_good_ends_its_run_and_the_next_run_can_start(
    channel, config, settings
):
    # given / when: the second chunk fails (401: a configuration error, not retried)
    run = _run_first_chunk_then_break_the_token(channel, config, settings)

    # then the run ended incomplete with what it did, and three listings still wait
    chunk = SyncTransaction.objects.filter(kind=CATALOG_PUBLISH).order_by("pk").last()
    assert chunk.state == TransactionState.FAILED
    assert (run.status, run.done, run.chunks_done) == (PublicationStatus.INCOMPLETE, 2, 1)
    assert run.finished_at is not None
    pending = Listing.objects.filter(channel=channel, publish_state=PublishState.PENDING)
    assert pending.count() == 3

    # and the channel's next run may start: it takes the three
    following = start_publication(channel.pk)
    assert following is not None and following.total == 3


def test_retry_now_on_the_failed_chunk_starts_the_next_run_which_publishes_the_rest(
    channel, config, shop, settings
):
    # given: a run ended incomplete by its failed second chunk
    run = _run_first_chunk_then_break_the_token(channel, config, settings)
    chunk = SyncTransaction.objects.filter(kind=CATALOG_PUBLISH).order_by("pk").last()

    # when the token is fixed and an operator presses Retry now on the chunk
    config.shop_access_token = shop.token
    config.save()
    replay_transaction(chunk.pk, actor=None, reason="token fixed")
    run_publication_chunks()

    # then a second run published the three listings the first did not reach
    runs = list(PublicationRun.objects.filter(channel=channel).order_by("pk"))
    assert [r.pk for r in runs] == [run.pk, runs[1].pk]
    assert (runs[1].status, runs[1].total, runs[1].done) == (PublicationStatus.SUCCEEDED, 3, 3)
    assert not Listing.objects.filter(channel=channel, publish_state=PublishState.PENDING).exists()
    assert SyncTransaction.objects.get(pk=chunk.pk).state == TransactionState.SUCCEEDED


def test_a_resolved_chunk_ends_a_run_left_running_and_a_new_one_starts(
    channel, config, settings, admin_user
):
    # given: a run whose failed chunk left it running (as runs failed before this fix are)
    run = _run_first_chunk_then_break_the_token(channel, config, settings)
    chunk = SyncTransaction.objects.filter(kind=CATALOG_PUBLISH).order_by("pk").last()
    PublicationRun.objects.filter(pk=run.pk).update(
        status=PublicationStatus.RUNNING, finished_at=None
    )

    # when an operator resolves the failed chunk
    resolve_transaction(chunk.pk, actor=admin_user, reason="published by hand")

    # then the run is over and the channel's next publication starts
    run.refresh_from_db()
    assert run.status == PublicationStatus.INCOMPLETE
    following = start_publication(channel.pk)
    assert following is not None and following.total == 3


def test_a_run_stuck_behind_a_failed_chunk_is_ended_when_the_next_run_starts(
    channel, config, shop, settings
):
    # given: a run left running behind its failed chunk (the row changed by a bare update)
    run = _run_first_chunk_then_break_the_token(channel, config, settings)
    PublicationRun.objects.filter(pk=run.pk).update(
        status=PublicationStatus.RUNNING, finished_at=None
    )
    config.shop_access_token = shop.token
    config.save()

    # when the beat (or a load) starts the channel's publication
    following = start_publication(channel.pk)

    # then the stuck run ended and the new one takes the three pending listings
    run.refresh_from_db()
    assert run.status == PublicationStatus.INCOMPLETE
    assert following is not None and following.total == 3
    run_publication_chunks()
    following.refresh_from_db()
    assert (following.status, following.done) == (PublicationStatus.SUCCEEDED, 3)
