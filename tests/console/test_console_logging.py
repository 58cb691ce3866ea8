"""Worker log lines about a transaction: its fields on every line, as text or JSON lines."""

import io
import json
import logging
import uuid
from logging.config import dictConfig

import pytest
from django.core.exceptions import ImproperlyConfigured

from connectors.errors import PermanentError, TransientError
from syncplatform.audit.models import RetryPolicy
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import open_transaction
from syncplatform.core.logging import logging_config
from syncplatform.orders.models import ERP_ORDER_POST
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner


@pytest.fixture
def captured_log():
    """The platform's LOGGING for a format, writing to a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffers = []

    def configure(log_format: str) -> io.StringIO:
        config = logging_config(log_format, "INFO")
        config["handlers"]["console"]["stream"] = buffer = io.StringIO()
        dictConfig(config)
        buffers.append(buffer)
        return buffer

    yield configure
    root.handlers, _ = saved
    root.setLevel(saved[1])
    logging.getLogger("celery.app.trace").setLevel(logging.NOTSET)
    logging.getLogger("celery.worker.strategy").setLevel(logging.NOTSET)


@pytest.fixture
def order_transaction(db, published):
    channel = Partner.objects.create(code="shop-log", name="Shop", kind=PartnerKind.CHANNEL)

    def create(business_key: str):
        return open_transaction(
            kind=ERP_ORDER_POST,
            partner=channel,
            business_key=business_key,
            correlation_id=uuid.uuid4().hex,
            message="accepted",
        )

    return create


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def failing_with_a_log_line(tx):
    logging.getLogger("connectors.erp.client").info("calling the ERP")
    raise PermanentError("SKU BEANIE-RED has no mapping (shop-log)", code="mapping_missing")


@pytest.mark.django_db(transaction=True)
def test_json_lines_name_the_transaction_on_every_line_and_a_failure_logs_as_failed(
    captured_log, order_transaction
):
    # given
    buffer = captured_log("json")
    tx = order_transaction("WEB-LOG-1")

    # when
    run_transaction(tx.pk, failing_with_a_log_line)

    # then: the handler's own line and the runner's outcome line both carry the fields
    lines = json_lines(buffer)
    by_logger = {line["logger"]: line for line in lines}
    inside = by_logger["connectors.erp.client"]
    outcome = by_logger["syncplatform.audit.runner"]
    for line in (inside, outcome):
        assert line["tx_kind"] == ERP_ORDER_POST
        assert line["tx_id"] == tx.pk
        assert line["business_key"] == "WEB-LOG-1"
        assert line["correlation_id"] == tx.correlation_id
    assert inside["outcome"] == "processing"
    assert (outcome["level"], outcome["outcome"], outcome["error_code"]) == (
        "ERROR",
        "failed",
        "mapping_missing",
    )
    assert "failed mapping_missing: SKU BEANIE-RED has no mapping" in outcome["message"]
    assert "time" in outcome


@pytest.mark.django_db(transaction=True)
def test_plain_lines_carry_the_fields_and_the_outcome_of_each_attempt(
    captured_log, order_transaction
):
    buffer = captured_log("plain")
    RetryPolicy.objects.update_or_create(
        kind=ERP_ORDER_POST, defaults={"max_attempts": 5, "delays_seconds": [0]}
    )
    retried, succeeded = order_transaction("WEB-LOG-2"), order_transaction("WEB-LOG-3")

    def down(tx):
        raise TransientError("ERP unreachable")

    run_transaction(retried.pk, down)
    run_transaction(succeeded.pk, lambda tx: Outcome("posted as 4711"))
    run_transaction(succeeded.pk, lambda tx: Outcome("never runs"))

    lines = buffer.getvalue().splitlines()
    assert any(
        " WARNING syncplatform.audit.runner " in line
        and "attempt 1: retrying transient: ERP unreachable" in line
        and f"[tx_kind=erp.order.post tx_id={retried.pk} business_key=WEB-LOG-2 "
        f"correlation_id={retried.correlation_id} outcome=retrying]"
        in line
        for line in lines
    ), lines
    assert any(
        " INFO syncplatform.audit.runner " in line
        and "attempt 1: succeeded" in line
        and "outcome=succeeded]" in line
        for line in lines
    ), lines
    assert any(
        f"transaction {succeeded.pk}: nothing to do" in line
        and f"[tx_id={succeeded.pk} outcome=skipped]" in line
        for line in lines
    ), lines


def test_lines_outside_a_transaction_have_no_transaction_fields(captured_log):
    buffer = captured_log("json")
    logging.getLogger("syncplatform.audit.services").info("sweeper published 0")
    (line,) = json_lines(buffer)
    assert line["message"] == "sweeper published 0"
    assert not {"tx_kind", "tx_id", "outcome"} & line.keys()


def test_celery_task_success_lines_are_not_logged_since_they_say_nothing_of_the_outcome(
    captured_log,
):
    buffer = captured_log("plain")
    logging.getLogger("celery.app.trace").info("Task run_transaction_task succeeded in 0.1s")
    logging.getLogger("celery.app.trace").error("Task run_transaction_task raised")
    assert "succeeded in" not in buffer.getvalue()
    assert "raised" in buffer.getvalue()


def test_celery_task_received_lines_are_not_logged_since_each_attempt_logs_its_own(captured_log):
    buffer = captured_log("plain")
    logging.getLogger("celery.worker.strategy").info("Task run_transaction_task[ab12] received")
    logging.getLogger("syncplatform.audit.runner").info("transaction 1 attempt 1: succeeded")
    assert "received" not in buffer.getvalue()
    assert "attempt 1: succeeded" in buffer.getvalue()


def test_an_unknown_log_format_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match="SYNC_LOG_FORMAT must be one of plain, json"):
        logging_config("xml", "INFO")
