"""The alert digest: new failures mailed to operations, read back from Django's file backend."""

import email
import socket
import uuid
from email.message import Message
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django_celery_beat.models import PeriodicTask

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.schedules import ensure_declared_rows
from syncplatform.audit.services import open_transaction, resolve_transaction
from syncplatform.console.alerts import ALERT_DIGEST, open_alert_digest
from syncplatform.orders.models import ERP_ORDER_POST
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

PUBLIC_URL = "https://ops.example.com"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.SYNC_PUBLIC_URL = PUBLIC_URL
    return tmp_path / "mail"


@pytest.fixture
def operators(db):
    """Who gets the digest: active operations users with an address, nobody else."""
    operations, _ = Group.objects.get_or_create(name="operations")
    finance, _ = Group.objects.get_or_create(name="finance")
    pat = User.objects.create_user("pat", email="pat@example.com", is_staff=True)
    User.objects.create_user("no-address", email="", is_staff=True).groups.add(operations)
    User.objects.create_user("gone", email="gone@example.com", is_active=False).groups.add(
        operations
    )
    User.objects.create_user("fin", email="fin@example.com").groups.add(finance)
    pat.groups.add(operations)
    return operations


@pytest.fixture
def fail(published):
    channel = Partner.objects.create(code="shop-a", name="Shop A", kind=PartnerKind.CHANNEL)

    def create(business_key: str, code: str = "erp_rejected", message: str = "material blocked"):
        tx = open_transaction(
            kind=ERP_ORDER_POST,
            partner=channel,
            business_key=business_key,
            correlation_id=uuid.uuid4().hex,
            message="accepted",
        )
        run_transaction(tx.pk, lambda _: Outcome("refused", failure=(code, message)))
        return tx

    return create


def sent_mails(mail_dir: Path) -> list[Message]:
    if not mail_dir.exists():
        return []
    messages = []
    for path in sorted(mail_dir.iterdir()):
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                messages.append(email.message_from_bytes(raw))
    return messages


def body_of(message: Message) -> str:
    return message.get_payload(decode=True).decode()


def send_digest() -> SyncTransaction | None:
    """What beat and a batch worker do: open the digest, then run its transaction."""
    digest = open_alert_digest()
    if digest is not None:
        run_transaction(digest.pk)
        digest.refresh_from_db()
    return digest


def test_new_failures_are_mailed_to_operations_grouped_with_absolute_links(
    mail_dir, operators, fail
):
    # given
    first, second = fail("WEB-1"), fail("WEB-2")

    # when
    digest = send_digest()

    # then
    assert digest.state == TransactionState.SUCCEEDED
    (message,) = sent_mails(mail_dir)
    assert message["To"] == "pat@example.com"
    assert message["Subject"] == "[syncplatform] 2 new failures in 1 group"
    body = body_of(message)
    assert "2 orders: ERP sales order posting: erp_rejected (shop-a)" in body
    assert "material blocked" in body
    for tx in (first, second):
        link = f"{PUBLIC_URL}/admin/audit/synctransaction/{tx.pk}/change/"
        assert f"- {tx.business_key}: {link}" in body
    assert f"Open the group: {PUBLIC_URL}/admin/console/failures/" in body
    assert f"All failures, grouped by cause: {PUBLIC_URL}/admin/console/failures/" in body
    assert "sent to 1 address(es)" in digest.events.last().message


def test_nothing_is_sent_when_nothing_is_new_and_a_restart_repeats_nothing(
    mail_dir, operators, fail
):
    assert send_digest() is None  # no failure at all
    fail("WEB-1")
    assert send_digest().state == TransactionState.SUCCEEDED

    # The watermark is the digest's row: a new process (a restarted beat) finds it.
    assert send_digest() is None
    assert send_digest() is None
    assert len(sent_mails(mail_dir)) == 1
    assert SyncTransaction.objects.filter(kind=ALERT_DIGEST).count() == 1


def test_the_next_digest_lists_only_what_failed_after_the_last_one(mail_dir, operators, fail):
    fail("WEB-OLD")
    send_digest()
    fail("WEB-NEW", code="mapping_missing", message="SKU BEANIE-RED has no mapping")

    send_digest()

    # (the file backend's names do not sort by time within one second)
    mails = sent_mails(mail_dir)
    old = [body_of(m) for m in mails if "WEB-OLD" in body_of(m)]
    new = [body_of(m) for m in mails if "WEB-NEW" in body_of(m)]
    assert (len(mails), len(old), len(new)) == (2, 1, 1)
    assert "WEB-NEW" not in old[0] and "WEB-OLD" not in new[0]
    assert {m["Subject"] for m in mails} == {"[syncplatform] 1 new failure in 1 group"}


def test_failures_dealt_with_before_the_digest_are_left_out(mail_dir, operators, fail):
    resolved, waiting = fail("WEB-FIXED"), fail("WEB-WAITING")
    resolve_transaction(resolved.pk, actor=User.objects.get(username="pat"), reason="dup")

    send_digest()

    (message,) = sent_mails(mail_dir)
    assert "WEB-WAITING" in body_of(message) and "WEB-FIXED" not in body_of(message)

    resolve_transaction(waiting.pk, actor=User.objects.get(username="pat"), reason="done")
    fail("WEB-LATER")
    later = SyncTransaction.objects.get(business_key="WEB-LATER")
    resolve_transaction(later.pk, actor=User.objects.get(username="pat"), reason="done")
    digest = send_digest()
    assert digest.state == TransactionState.SUCCEEDED
    assert digest.events.last().message == "nothing to send: the 1 failure(s) were dealt with"
    assert len(sent_mails(mail_dir)) == 1


def test_no_address_to_send_to_fails_the_digest_visibly_and_retry_sends_it(
    mail_dir, operators, fail
):
    User.objects.get(username="pat").groups.clear()
    fail("WEB-1")

    digest = send_digest()

    assert (digest.state, digest.last_error_code) == (TransactionState.FAILED, "no_recipients")
    assert "no active user of the 'operations' group has an email address" in (
        digest.last_error_message
    )
    assert sent_mails(mail_dir) == []
    # Its own failure is not news for the next digest (it could not be sent either).
    assert send_digest() is None

    User.objects.get(username="pat").groups.add(operators)
    digest.replay(actor=None, reason="address added")
    run_transaction(digest.pk)
    digest.refresh_from_db()
    assert digest.state == TransactionState.SUCCEEDED
    (message,) = sent_mails(mail_dir)
    assert "WEB-1" in body_of(message)


def test_an_smtp_server_that_does_not_answer_is_retried(settings, operators, fail):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    fail("WEB-1")

    digest = send_digest()

    assert digest.state == TransactionState.RETRYING
    assert "the mail server did not take the digest" in digest.last_error_message


def test_the_digest_schedule_is_a_beat_row_every_configured_interval(settings):
    ensure_declared_rows()

    row = PeriodicTask.objects.get(name="alert digest of new failures")
    assert (row.interval.every, row.interval.period) == (
        settings.SYNC_ALERT_DIGEST_MINUTES * 60,
        "seconds",
    )
    assert row.args == '["console.alert_digest"]'
    assert row.queue == "batch"
