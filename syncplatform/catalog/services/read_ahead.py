"""Reading a load's next chunk in a thread while the current one is written.

A chunk is read (parsed and converted: Python, one core) and then written
(COPY, upserts, listings: PostgreSQL's backend, another core, while the
loader waits on the socket with the GIL released). Done one after the other,
the load's time is the sum of the two; with the next chunk read ahead, a
load that runs its chunks in one process (``load_file_now``: the
``load_catalog`` command, the benchmark) takes about the larger of the two.

The read-ahead runs on its own database connection, so it sees the catalog
as it was before the chunk being written commits. What it read is used only
if the catalog still reads it the same way (``is_current``: for MATMAS05 the
known units and the stored digests of the materials it elided); otherwise,
or if the read failed, the chunk is read again in its own transaction as
without read-ahead, and that read reports any error of the file. Nothing is
written from the thread: each chunk is still written, counted and
checkpointed in its own transaction by ``load_next_chunk``.
"""

import logging
import threading
from collections.abc import Callable

from django.db import connection, connections

logger = logging.getLogger(__name__)


class ReadAhead:
    """One chunk read ahead at most; ``close()`` (or ``with``) waits for its thread."""

    def __init__(self):
        self._thread: threading.Thread | None = None
        self._key: tuple[int, int] | None = None
        self._result = None

    @staticmethod
    def is_available() -> bool:
        # SQLite (the embedded default) keeps its simple path: one connection, no thread.
        return connection.vendor == "postgresql"

    def start(self, load, index: int, reader: Callable) -> None:
        """Read chunk ``index`` of ``load`` with ``reader(load, index)`` in a thread."""
        self.close()
        self._key = (load.pk, index)

        def read() -> None:
            try:
                self._result = reader(load, index)
            except Exception:
                # Read again where it is used, in the chunk's transaction, which reports it.
                logger.info("load %s: read-ahead of chunk %s failed", load.pk, index + 1)
                self._result = None
            finally:
                connections.close_all()  # this thread's connections only

        self._thread = threading.Thread(target=read, name=f"catalog-read-ahead-{load.pk}")
        self._thread.start()

    def take(self, load, index: int, is_current: Callable) -> tuple | None:
        """What was read ahead for chunk ``index`` if it still reads the same, else None."""
        key = self._key
        self.close()
        result, self._result, self._key = self._result, None, None
        if key != (load.pk, index) or result is None:
            return None
        chunk, _place, context = result
        if not is_current(chunk, context):
            logger.info("load %s: chunk %s read again (the catalog changed)", load.pk, index + 1)
            return None
        return result

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
