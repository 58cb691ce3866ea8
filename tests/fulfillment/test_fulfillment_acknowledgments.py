"""Overdue 997s: flagged once as failed transactions; "retry now" succeeds once the 997 came."""

from datetime import timedelta

from django.utils import timezone

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.fulfillment.choices import EDI_997_OVERDUE, AckState, InterchangeState
from syncplatform.fulfillment.models import Interchange
from syncplatform.fulfillment.services import (
    check_acknowledgment,
    flag_overdue_acknowledgments,
    receive_file,
    send_shipping_orders,
)
from tests.fulfillment.fulfillment_files import file_997

CHECK_TASK = "syncplatform.audit.tasks.run_transaction_task"


def sent_940(posted_order, config, number: str, *, ack_state=AckState.PENDING, due_in=None):
    """One uploaded 940 interchange in ``ack_state`` whose 997 is due ``due_in`` from now."""
    posted_order(number)
    interchange = send_shipping_orders(config.partner_id)
    Interchange.objects.filter(pk=interchange.pk).update(
        state=InterchangeState.SENT,
        ack_state=ack_state,
        ack_due_by=None if due_in is None else timezone.now() + due_in,
    )
    interchange.refresh_from_db()
    return interchange


def overdue_transactions():
    return list(SyncTransaction.objects.filter(kind=EDI_997_OVERDUE))


def test_given_sent_files_when_flagging_then_only_pending_past_due_is_flagged_and_only_once(
    config, posted_order
):
    late = sent_940(posted_order, config, "WEB-LATE", due_in=-timedelta(minutes=5))
    on_time = sent_940(posted_order, config, "WEB-ONTIME", due_in=timedelta(minutes=5))
    answered = sent_940(
        posted_order, config, "WEB-ANSWERED", ack_state=AckState.ACCEPTED, due_in=-timedelta(1)
    )
    not_expected = sent_940(
        posted_order, config, "WEB-NOACK", ack_state=AckState.NOT_EXPECTED, due_in=-timedelta(1)
    )
    posted_order("WEB-NOT-UPLOADED")
    not_uploaded = send_shipping_orders(config.partner_id)  # pending, no due time yet

    assert flag_overdue_acknowledgments() == 1
    assert flag_overdue_acknowledgments() == 0

    states = {
        i.pk: i.ack_state
        for i in Interchange.objects.filter(
            pk__in=[late.pk, on_time.pk, answered.pk, not_expected.pk, not_uploaded.pk]
        )
    }
    assert states == {
        late.pk: AckState.OVERDUE,
        on_time.pk: AckState.PENDING,
        answered.pk: AckState.ACCEPTED,
        not_expected.pk: AckState.NOT_EXPECTED,
        not_uploaded.pk: AckState.PENDING,
    }
    [tx] = overdue_transactions()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "ack_overdue")
    assert (tx.partner, tx.subject_id, tx.business_key) == (
        config.partner,
        late.pk,
        "940_000000001.edi",
    )
    assert tx.last_error_message == (
        "no 997 from demo-3pl for 940_000000001.edi (ISA13 000000001), "
        f"due by {late.ack_due_by:%Y-%m-%d %H:%M} UTC"
    )


def test_given_an_overdue_997_when_replayed_then_it_fails_while_missing_and_succeeds_once_come(
    config, posted_order, operator, published, django_capture_on_commit_callbacks
):
    late = sent_940(posted_order, config, "WEB-SLOW", due_in=-timedelta(minutes=1))
    flag_overdue_acknowledgments()
    [tx] = overdue_transactions()

    with django_capture_on_commit_callbacks(execute=True):
        replay_transaction(tx.pk, actor=operator, reason="asked the warehouse")
    assert published[-1] == (CHECK_TASK, [tx.pk])
    run_transaction(tx.pk, check_acknowledgment)

    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "ack_overdue")
    assert tx.last_error_message.endswith("; still missing")

    receive_file(config, "997_slow.edi", file_997("1", 941, "A", {"0001": "A"}))
    late.refresh_from_db()
    assert late.ack_state == AckState.ACCEPTED

    replay_transaction(tx.pk, actor=operator, reason="the 997 came")
    run_transaction(tx.pk, check_acknowledgment)

    tx.refresh_from_db()
    assert tx.state == TransactionState.SUCCEEDED
    assert tx.events.last().message == "940_000000001.edi acknowledged: accepted"
    assert flag_overdue_acknowledgments() == 0
    assert len(overdue_transactions()) == 1
