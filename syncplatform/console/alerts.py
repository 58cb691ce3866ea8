"""The alert digest: new failures mailed to the operations group, grouped by what fixes them.

Every ``SYNC_ALERT_DIGEST_MINUTES`` (15; the beat row "alert digest of new
failures" is editable in the admin's Periodic tasks) ``open_alert_digest``
looks for transactions that failed since the last digest. When there are
none, nothing happens: no row, no email. When there are, it opens one
``console.alert.digest`` transaction covering the failure events after the
last digest's up to the newest (its idempotency key ``alert-digest:<after>-<upto>``,
its subject the newest event). That row is the watermark: it is committed
before any email is sent, so a restart neither repeats nor skips a failure,
and the next digest starts where it ends.

The email is sent by the runner like any message that leaves the platform:
an SMTP server that is down is retried by the kind's retry policy, a refused
address or no recipient at all fails the digest where operations see it (and
"Retry now" sends it once fixed). A worker killed after sending and before
recording may send it twice; nothing is ever left out. A digest's own
failures are not mailed in the next digest (they could not be sent either).

At send time only failures still waiting for a person are listed, grouped as
the console's failures page groups them (``groups.failure_groups``), each group
with absolute links under ``SYNC_PUBLIC_URL``: the group's page and its fixes,
and each failed transaction (the first ``LINKS_PER_GROUP``).
"""

import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connectors.errors import ConfigError, PermanentError, TransientError
from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.audit.registry import Lane, RetryDefaults, scheduled_job, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.core.locks import try_exclusive

from .causes import Failure
from .groups import FailureGroup, failure_groups
from .metrics import first_event_id_since

ALERT_DIGEST = "console.alert.digest"
OPERATIONS_GROUP = "operations"
LINKS_PER_GROUP = 10
_LOCK_KEY = 14


@scheduled_job(
    "console.alert_digest",
    every_seconds=settings.SYNC_ALERT_DIGEST_MINUTES * 60,
    name="alert digest of new failures",
    description="Mails the operations group the failures since the last digest, grouped "
    "by cause with links; nothing when there is nothing new.",
)
def open_alert_digest() -> SyncTransaction | None:
    """Open the digest of the failures since the last one; None when there are none.

    The first digest ever covers the last ``SYNC_ALERT_DIGEST_MINUTES``. One run
    at a time (a lock): two would cover the same failures.
    """
    with try_exclusive("console.alert_digest", _LOCK_KEY) as held:
        if not held:
            return None
        with transaction.atomic():
            after = _last_digest_upto()
            if after is None:
                first = first_event_id_since(timezone.now() - _interval())
                after = (first - 1) if first is not None else _newest_event_id()
            events = new_failure_events(after)
            newest = events.order_by("-pk").first()
            if newest is None:
                return None
            return open_transaction(
                kind=ALERT_DIGEST,
                partner=None,
                business_key=f"failures after event {after} to {newest.pk}",
                correlation_id=f"alert-digest-{newest.pk}",
                idempotency_key=f"alert-digest:{after}-{newest.pk}",
                subject=newest,
                message=f"{events.count()} new failure(s) since the last digest",
            )


@transaction_kind(
    ALERT_DIGEST,
    description="Alert digest email to operations",
    lane=Lane.BATCH,
    subject="audit.TransactionEvent",
    retry=RetryDefaults(6, (60, 120, 300, 600, 900)),
)
def send_alert_digest(tx: SyncTransaction) -> Outcome:
    """Mail the failures the digest covers that still wait for a person."""
    after, upto = covered_events(tx)
    failed_ids = set(new_failure_events(after, upto).values_list("transaction_id", flat=True))
    failures, business_keys = still_failed(failed_ids)
    if not failures:
        return Outcome(f"nothing to send: the {len(failed_ids)} failure(s) were dealt with")
    recipients = operations_addresses()
    if not recipients:
        raise ConfigError(
            f"no active user of the {OPERATIONS_GROUP!r} group has an email address; "
            "add one in Authentication > Users, then Retry now",
            code="no_recipients",
        )
    groups = failure_groups(failures)
    email = EmailMessage(
        subject=digest_subject(len(failures), len(groups)),
        body=digest_body(failures, groups, business_keys, after, upto),
        to=recipients,
    )
    _send(email)
    return Outcome(
        f"digest of {len(failures)} failure(s) in {len(groups)} group(s) "
        f"sent to {len(recipients)} address(es)",
        excerpt=f"{email.subject}\nto: {', '.join(recipients)}",
    )


def new_failure_events(after: int, upto: int | None = None):
    """Failure events after event ``after`` (to ``upto``), of every kind but the digest's.

    A range of the primary key: cheap however long the history is.
    """
    events = TransactionEvent.objects.filter(pk__gt=after, kind=EventKind.FAILED).exclude(
        transaction__kind=ALERT_DIGEST
    )
    return events if upto is None else events.filter(pk__lte=upto)


def covered_events(tx: SyncTransaction) -> tuple[int, int]:
    """(after, upto) event ids of a digest, from its idempotency key."""
    after, _, upto = tx.idempotency_key.removeprefix("alert-digest:").partition("-")
    return int(after), int(upto)


def still_failed(transaction_ids) -> tuple[list[Failure], dict[int, str]]:
    """Those of ``transaction_ids`` still failed, and each one's business key by id."""
    rows = (
        SyncTransaction.objects.filter(pk__in=transaction_ids, state=TransactionState.FAILED)
        .order_by("pk")
        .values_list(
            "pk",
            "kind",
            "last_error_code",
            "last_error_message",
            "partner_id",
            "partner__code",
            "finished_at",
            "business_key",
        )
    )
    failures, business_keys = [], {}
    for *values, business_key in rows:
        failures.append(Failure(*values))
        business_keys[values[0]] = business_key
    return failures, business_keys


def operations_addresses() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=OPERATIONS_GROUP)
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def digest_subject(failures: int, groups: int) -> str:
    noun = "failure" if failures == 1 else "failures"
    return f"[syncplatform] {failures} new {noun} in {groups} group{'s' if groups != 1 else ''}"


def digest_body(
    failures: list[Failure],
    groups: list[FailureGroup],
    business_keys: dict[int, str],
    after: int,
    upto: int,
) -> str:
    lines = [
        f"{len(failures)} transaction(s) failed since the last digest and wait for a person.",
        f"All failures, grouped by cause: {absolute(reverse('console:failures'))}",
        "",
    ]
    for group in groups:
        lines.append(group.headline)
        lines.append(f"  {group.cause.kind} / {group.cause.code or 'failed'}")
        lines.append(f"  {group.sample_message[:300]}")
        lines.append(f"  Open the group: {absolute(reverse('console:failure', args=[group.key]))}")
        lines.extend(f"  {fix.label}: {absolute(fix.url)}" for fix in group.cause.fixes)
        for tx_id in group.transaction_ids[:LINKS_PER_GROUP]:
            url = absolute(reverse("admin:audit_synctransaction_change", args=[tx_id]))
            lines.append(f"  - {business_keys.get(tx_id, tx_id)}: {url}")
        if group.count > LINKS_PER_GROUP:
            lines.append(f"  … and {group.count - LINKS_PER_GROUP} more")
        lines.append("")
    lines.append(f"(failure events {after + 1} to {upto})")
    return "\n".join(lines)


def absolute(path: str) -> str:
    return path if "://" in path else f"{settings.SYNC_PUBLIC_URL}{path}"


def _send(email: EmailMessage) -> None:
    try:
        email.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise PermanentError(
            f"the mail server refused the digest: {exc}", code="mail_refused"
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ConfigError(f"the mail server refused our login: {exc}", code="mail_login") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"the mail server did not take the digest: {exc}") from exc


def _last_digest_upto() -> int | None:
    last = SyncTransaction.objects.filter(kind=ALERT_DIGEST).order_by("-subject_id").first()
    return last.subject_id if last is not None else None


def _newest_event_id() -> int:
    newest = TransactionEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def _interval() -> timedelta:
    return timedelta(minutes=settings.SYNC_ALERT_DIGEST_MINUTES)
