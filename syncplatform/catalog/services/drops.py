"""Catalog files the ERP drops on an SFTP server: taken like a warehouse's files.

Each source with an SFTP host has its own beat row ("poll catalog source
<code>", Periodic tasks in the admin, made by ``ensure_source_schedule``).
A poll takes the files matching the source's pattern once their size and
mtime hold still (``list_ready``), streams each to a local copy in constant
memory (``fetch_to_file``: a full extract of gigabytes never sits in memory),
stores it as a queued load and only then moves it to the archive folder; a
file it cannot take (too large, an unsafe name) goes to the error folder and
is reported as a failed ``catalog.poll`` transaction. A poll that dies
between storing and moving finds the file again next time: the same name and
sha256 from the drop folder is recognised as its own leftover and only moved,
so nothing is loaded twice and nothing is lost. The load itself runs later, in chunks;
its outcome is on the load and its transaction.
"""

import json
import logging
import tempfile
from pathlib import Path

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from connectors.errors import ConfigError, PermanentError, TransientError
from connectors.sftp import RemoteFolder, SftpClient, SftpEndpoint, SftpFolders
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_failed_transaction
from syncplatform.core.locks import try_exclusive

from ..choices import CATALOG_POLL, LoadOrigin
from ..models import CatalogLoad, CatalogSource
from .files import catalog_folder
from .loads import queue_load

logger = logging.getLogger(__name__)

POLL_EVERY_SECONDS = 300


def sftp_endpoint_for(source: CatalogSource) -> SftpEndpoint:
    return SftpEndpoint(
        host=source.sftp_host,
        port=source.sftp_port,
        username=source.sftp_username,
        password=source.sftp_password or None,
        private_key=source.sftp_private_key or None,
        known_hosts=source.sftp_known_hosts,
        folders=SftpFolders(
            inbound=source.inbound_folder,
            archive=source.archive_folder,
            error=source.error_folder,
        ),
        settle_seconds=source.settle_seconds,
        max_file_bytes=source.max_file_megabytes * 1024 * 1024,
    )


def poll_catalog_source(source_id: int) -> int:
    """Take every ready file of a source's drop folder; returns how many loads were queued.

    ``TransientError`` (the server is down) propagates: the files wait for the
    next poll. ``ConfigError`` (host key, login, folders) is reported as a
    failed poll transaction, once while it lasts.
    """
    source = CatalogSource.objects.select_related("partner").get(pk=source_id)
    if not (source.is_active and source.has_drop_folder):
        return 0
    with try_exclusive("catalog-poll", source.pk) as is_ours:
        if not is_ours:
            return 0
        try:
            return _poll(source)
        except ConfigError as error:
            report_poll_failure(source, error)
            return 0


def _poll(source: CatalogSource) -> int:
    """Each ready file is streamed to a local copy (constant memory, any size up to the
    source's limit), stored from there as a load, then archived on the server."""
    queued = 0
    with (
        SftpClient(sftp_endpoint_for(source)) as client,
        tempfile.TemporaryDirectory(dir=catalog_folder(), prefix=".drop-") as downloads,
    ):
        for remote in client.list_ready(RemoteFolder.INBOUND, source.file_pattern):
            local = Path(downloads) / "drop"
            try:
                fetched = client.fetch_to_file(RemoteFolder.INBOUND, remote.name, local)
            except PermanentError as error:
                if error.code == "not_found":
                    continue  # taken since it was listed
                client.move(remote.name, RemoteFolder.INBOUND, RemoteFolder.ERROR)
                report_poll_failure(source, error, file_name=remote.name)
                continue
            try:
                if not _is_leftover(source, remote.name, fetched.sha256):
                    with local.open("rb") as copy:
                        queue_load(source, copy.read, file_name=remote.name, origin=LoadOrigin.SFTP)
                    queued += 1
            finally:
                local.unlink(missing_ok=True)
            client.move(remote.name, RemoteFolder.INBOUND, RemoteFolder.ARCHIVE)
    return queued


def _is_leftover(source: CatalogSource, name: str, sha256: str) -> bool:
    """Stored by an earlier poll that died before moving the file."""
    return CatalogLoad.objects.filter(
        source=source, origin=LoadOrigin.SFTP, file_name=name, sha256=sha256
    ).exists()


def report_poll_failure(source: CatalogSource, error, *, file_name: str = "") -> None:
    """One failed ``catalog.poll`` transaction per open problem (not one per poll)."""
    business_key = f"{source.code} drop folder" + (f" {file_name}" if file_name else "")
    if SyncTransaction.objects.filter(
        kind=CATALOG_POLL, business_key=business_key, state=TransactionState.FAILED
    ).exists():
        logger.warning("%s: still failing: %s", business_key, error)
        return
    open_failed_transaction(
        kind=CATALOG_POLL,
        partner=source.partner,
        business_key=business_key,
        subject=source,
        code=getattr(error, "code", "") or type(error).__name__,
        message=f"{business_key}: {error}",
    )


@transaction_kind(
    CATALOG_POLL,
    description="Polling a catalog source's SFTP drop folder",
    lane=Lane.BATCH,
    subject="catalog.CatalogSource",
    retry=RetryDefaults(5, (60, 300, 900)),
    schedule=Schedule(
        key=CATALOG_POLL,
        job=poll_catalog_source,
        every_seconds=POLL_EVERY_SECONDS,
        name="poll catalog source {source}",
        # One row per catalog source, made by ensure_source_schedule (not per partner kind).
        per_partner="catalog-source",
        description="Takes the ERP's catalog files from the source's drop folder.",
    ),
)
def retry_poll(tx: SyncTransaction) -> Outcome:
    """ "Retry now" on a failed poll: poll again; fails again while the cause remains."""
    source = CatalogSource.objects.get(pk=tx.subject_id)
    with try_exclusive("catalog-poll", source.pk) as is_ours:
        if not is_ours:
            raise TransientError(f"{source.code}: another poll is running")
        queued = _poll(source)
    return Outcome(message=f"{source.code} drop folder polled: {queued} file(s) queued")


def ensure_source_schedule(source: CatalogSource, *, every_seconds: int | None = None) -> None:
    """The source's beat row, when it has a drop folder; once made, it belongs to operations."""
    if not source.has_drop_folder:
        return
    every, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds or POLL_EVERY_SECONDS, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.get_or_create(
        name=f"poll catalog source {source.code}",
        defaults={
            "task": RUN_SCHEDULED_JOB_TASK,
            "interval": every,
            "args": json.dumps([CATALOG_POLL, source.pk]),
            "queue": Lane.BATCH,
            "description": "Takes the ERP's catalog files from the source's drop folder.",
        },
    )
