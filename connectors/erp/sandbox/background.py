"""The sandbox ERP's background work: posting received IDocs and pushing invoices.

One daemon thread per process (each gunicorn worker runs one). It takes due
packages and due invoice pushes from the shared store under a lease, so
several processes share the work and a package or push whose process died is
taken up again once its lease runs out. It polls every ``POLL_SECONDS`` when
there is nothing to do, which bounds how long a package waits at 64 beyond
``processing_delay_ms``.
"""

import logging
import threading
from datetime import timedelta

import requests

from connectors.erp.sandbox.billing import push_invoice
from connectors.erp.sandbox.idoc_posting import MESSAGE_LEASE, process_message
from connectors.erp.sandbox.idoc_store import IdocStore

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
PUSH_LEASE = timedelta(seconds=60)  # longer than a push can take (5 s connect + 30 s read)


class BackgroundWork:
    """Posts due IDoc packages and pushes due invoices until stopped."""

    def __init__(self, store: IdocStore):
        self.store = store
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Proxy variables are ignored: the platform is usually on this machine.
        self._session = requests.Session()
        self._session.trust_env = False

    def start(self) -> "BackgroundWork":
        self._thread = threading.Thread(target=self._run, name="sandbox-erp-idocs", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> bool:
        """Post one due package and make one due push; True when there was anything to do."""
        settings = self.store.settings()
        message = self.store.claim_due_message(MESSAGE_LEASE)
        if message is not None:
            process_message(self.store, message, settings)
        push = self.store.claim_due_push(PUSH_LEASE)
        if push is not None:
            push_invoice(self.store, push, settings, self._session)
        return message is not None or push is not None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                pause = 0 if self.run_once() else POLL_SECONDS
            except Exception:
                logger.exception("sandbox ERP background work failed; trying again in a second")
                pause = 1.0
            self._stopping.wait(pause)
