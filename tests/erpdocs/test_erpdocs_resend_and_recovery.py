"""A 51 fixed and resent; a job that dies mid-package; an ERP outage during a package."""

import pytest
import requests

from syncplatform.audit.batches import build_batch
from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction, sweep_due_transactions
from syncplatform.erpdocs.choices import ERP_IDOC_POSTING, PostingKind, PostingState
from syncplatform.erpdocs.models import Idoc, IdocConfig, IdocPackage, Posting
from syncplatform.erpdocs.services import poll_idoc_statuses, release_package, send_idoc_postings
from syncplatform.erpdocs.services.package_batch import PostingPackage
from tests.support.processes import wait_until

# The send job sends from a second thread, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def statuses_settle(erp_id: int) -> bool:
    poll_idoc_statuses(erp_id)
    return not Posting.objects.filter(state=PostingState.SENT).exists()


def sandbox_idocs(sandbox, message_id: str) -> list[dict]:
    response = requests.get(
        f"{sandbox.base_url}/_sandbox/idocs", params={"message_id": message_id}, timeout=10
    )
    return response.json()


def test_a_51_fixed_and_resent_goes_as_a_new_idoc_referencing_the_failed_one(
    shipped_order, idoc_config, operator
):
    # given: a SHPCON the ERP refused (5 picked of 2 ordered)
    shipped_order("RES-1")
    posting = Posting.objects.get()
    posting.document["items"][0]["quantity"] = "5"
    Posting.objects.filter(pk=posting.pk).update(document=posting.document)
    send_idoc_postings(idoc_config.partner_id)
    wait_until(lambda: statuses_settle(idoc_config.partner_id), timeout=20, what="51")
    failed_tx = SyncTransaction.objects.get(kind=ERP_IDOC_POSTING)
    failed_idoc = Idoc.objects.get()

    # when operations correct the quantity and retry the failed transaction
    posting.refresh_from_db()
    posting.document["items"][0]["quantity"] = "2"
    posting.save()
    replay_transaction(failed_tx.pk, actor=operator, reason="quantity corrected")
    assert run_transaction(failed_tx.pk).state == "succeeded"
    send_idoc_postings(idoc_config.partner_id)
    wait_until(lambda: statuses_settle(idoc_config.partner_id), timeout=20, what="53")

    # then
    posting.refresh_from_db()
    resent = posting.current_idoc
    assert posting.state == PostingState.POSTED
    assert resent.pk != failed_idoc.pk and resent.resends_id == failed_idoc.pk
    assert resent.control["ARCKEY"] == f"RESEND {failed_idoc.docnum}"
    assert resent.status == "53" and resent.package_id != failed_idoc.package_id
    failed_idoc.refresh_from_db()
    assert not failed_idoc.is_current and failed_idoc.status == "51"
    history = list(failed_tx.events.values_list("kind", "message"))
    assert ("replayed", "quantity corrected") in history
    assert any("referencing IDoc" in m and failed_idoc.docnum in m for _, m in history)
    assert any(k == "note" and "posted" in m for k, m in history)


def test_an_order_without_a_delivery_number_fails_its_posting_naming_the_order(
    shipped_order, idoc_config, monkeypatch
):
    from syncplatform.orders import models as order_models

    real = order_models.Order.mark_posted
    monkeypatch.setattr(
        order_models.Order, "mark_posted", lambda self, number, delivery="": real(self, number)
    )

    order = shipped_order("NODEL-1")

    posting = Posting.objects.get()
    assert posting.state == PostingState.FAILED
    tx = SyncTransaction.objects.get(kind=ERP_IDOC_POSTING)
    assert tx.last_error_code == "erp_delivery_missing"
    assert order.channel_order_number in tx.last_error_message
    assert send_idoc_postings(idoc_config.partner_id) == []


def test_a_job_that_dies_after_its_commit_is_finished_by_the_sweeper_once(
    shipped_order, idoc_config, sandbox_erp, settings, published, django_capture_on_commit_callbacks
):
    # given: the package is stored, and the job dies before sending it
    settings.SYNC_PUBLISH_GRACE_SECONDS = 0
    shipped_order("CRASH-1")
    shipped_order("CRASH-2")
    package = build_batch(
        PostingPackage(idoc_config, PostingKind.SHIPMENT_CONFIRMATION), 500, publish=False
    )
    assert Posting.objects.filter(state=PostingState.PACKAGED).count() == 2
    assert send_idoc_postings(idoc_config.partner_id) == []  # nothing is taken twice

    # when the sweeper finds the received package transaction
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_due_transactions()
    assert (RUN_TRANSACTION_TASK, [package.transaction_id]) in published
    tx = run_transaction(package.transaction_id)

    # then
    assert tx.state == "succeeded"
    assert len(sandbox_idocs(sandbox_erp, package.message_id)) == 2


def test_a_send_whose_answer_was_lost_is_answered_again_by_the_erp_and_posts_once(
    shipped_order, idoc_config, sandbox_erp
):
    # given: the ERP took the package, but the job died before recording its answer
    shipped_order("LOST-1")
    batch = PostingPackage(idoc_config, PostingKind.SHIPMENT_CONFIRMATION)
    package = build_batch(batch, 500, publish=False)
    first_answer = batch.send(package)

    # when the package's transaction runs again
    tx = run_transaction(package.transaction_id)

    # then the ERP answered with the same numbers and stored nothing new
    assert tx.state == "succeeded"
    assert tx.events.last().message == first_answer
    assert len(sandbox_idocs(sandbox_erp, package.message_id)) == 1
    wait_until(lambda: statuses_settle(idoc_config.partner_id), timeout=20, what="53")
    assert Posting.objects.get().state == PostingState.POSTED


def test_an_erp_outage_retries_the_package_and_the_rest_wait_for_the_next_run(
    shipped_order, idoc_config, sandbox_erp
):
    # given
    IdocConfig.objects.filter(pk=idoc_config.pk).update(package_size=1)
    for number in ("OUT-1", "OUT-2", "OUT-3"):
        shipped_order(number)
    sandbox_erp.configure(outage=True)

    # when
    built = send_idoc_postings(idoc_config.partner_id)

    # then: the first package tried and retrying; the one built meanwhile left to the
    # sweeper; the third posting still pending
    assert len(built) == 2
    first, second = (SyncTransaction.objects.get(pk=p.transaction_id) for p in built)
    assert first.state == "retrying" and first.last_error_code == "erp_unavailable"
    assert second.state == "received"
    assert Posting.objects.filter(state=PostingState.PENDING).count() == 1

    # when the ERP is back, the retry and the sweeper send those two, the next run the rest
    sandbox_erp.configure(outage=False)
    assert run_transaction(first.pk).state == "succeeded"
    assert run_transaction(second.pk).state == "succeeded"
    assert len(send_idoc_postings(idoc_config.partner_id)) == 1
    wait_until(lambda: statuses_settle(idoc_config.partner_id), timeout=20, what="53")
    assert set(Posting.objects.values_list("state", flat=True)) == {PostingState.POSTED}
    assert IdocPackage.objects.filter(state="sent").count() == 3


def test_a_package_the_erp_refused_whole_can_release_its_postings(
    shipped_order, idoc_config, operator
):
    # given: a package whose transaction failed (the ERP refused it as a whole)
    shipped_order("REL-1")
    package = build_batch(
        PostingPackage(idoc_config, PostingKind.SHIPMENT_CONFIRMATION), 500, publish=False
    )
    tx = package.transaction
    tx.start_attempt(60)
    tx.fail("erp_idoc_invalid_idoc", "the ERP refused it")

    # when
    assert release_package(package.pk, actor=operator, reason="fixed the config") == 1

    # then
    assert Posting.objects.get().state == PostingState.PENDING
    tx.refresh_from_db()
    assert tx.state == "resolved"
    [next_package] = send_idoc_postings(idoc_config.partner_id)
    next_package.refresh_from_db()
    assert next_package.transaction.state == "succeeded"
