"""Locks across processes: exactly one active beat, one run of a job per partner.

Two beats would publish every scheduled job twice. The first beat to start
holds the lock for its lifetime; any other waits in standby and takes over
when the holder dies (the database ends the session, or the OS drops the
file lock). ``try_exclusive`` does the same for the length of one job.
"""

import fcntl
import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from celery.signals import beat_init
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# Any constant unique to this purpose; PostgreSQL advisory locks share one key space.
BEAT_LOCK_KEY = 0x5359_4E43_4245_4154 & 0x7FFF_FFFF_FFFF_FFFF
STANDBY_POLL_SECONDS = 5

_held = []  # keeps the lock's connection or file open for the life of the process


def _try_postgres_lock(database: dict):
    connection = psycopg2.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY])
        (locked,) = cursor.fetchone()
    if locked:
        return connection
    connection.close()
    return None


def _try_file_lock(path: Path):
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def acquire_beat_lock(*, wait: bool = True):
    """Hold the single-beat lock; with ``wait`` block in standby until it is free."""
    database = settings.DATABASES["default"]
    while True:
        if database["ENGINE"].endswith("postgresql"):
            holder = _try_postgres_lock(database)
        else:
            holder = _try_file_lock(Path(settings.VAR_DIR) / "beat.lock")
        if holder is not None:
            _held.append(holder)
            logger.info("beat lock acquired: this beat is the active one")
            return holder
        if not wait:
            return None
        logger.warning("another beat holds the lock; standing by")
        time.sleep(STANDBY_POLL_SECONDS)


@beat_init.connect
def _hold_beat_lock(sender=None, **kwargs):
    acquire_beat_lock()


@contextmanager
def try_exclusive(name: str, key: int) -> Iterator[bool]:
    """Hold a named lock for the block if nobody else does; yields whether it is held.

    One holder across every process and host that shares the database: a
    PostgreSQL session-level advisory lock on Django's own connection (freed
    at the end of the block, or by the database when the process dies); on
    SQLite, a file lock under ``SYNC_VAR_DIR/locks`` (one machine).
    """
    if connection.vendor == "postgresql":
        namespace = zlib.crc32(name.encode()) & 0x7FFF_FFFF
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
            (held,) = cursor.fetchone()
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
        return
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    handle = _try_file_lock(folder / f"{name}-{key}.lock")
    try:
        yield handle is not None
    finally:
        if handle is not None:
            handle.close()
