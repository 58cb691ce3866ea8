"""The faults, one after another while the orders come in, each undone in a ``finally``.

In order (``Plan`` says how many kills and how long each outage lasts):

1. SIGKILL of a realtime worker's whole process group, repeated; all but the
   first of several (and the only one of a short run) while the sandbox ERP
   holds every SOAP call ``ERP_LATENCY_MS``, so the worker dies mid-call and
   the ERP stores the order it will never confirm. The supervisor starts the
   worker again.
2. An ERP outage: ``POST /_sandbox/config {"outage": true}``, every call 503.
3. An ERP fault rate: ``{"fault_rate": 0.3}``, 30 % of creates refused.
4. A RabbitMQ restart: ``deploy/local/rabbitmq.sh stop`` then ``start`` (a
   cold start: the queues and their messages are gone).
5. An SFTP outage during a 940 upload: the sandbox warehouse is stopped the
   moment an upload is seen in flight (its ``.part`` temporary in the
   outbound folder, or a 940 stored and not yet sent) and kept down past the
   next 940 run.
6. An SFTP outage during an inbound poll: stopped the moment a file the poll
   took is recorded and not yet moved to the archive, kept down past the next poll.
7. A PostgreSQL restart: ``deploy/local/postgres.sh stop`` then ``start``.

They are spread over the intake whatever its speed on the machine: the k-th
of n faults starts once k/(n+1) of the orders were sent, and not before a
pause after the previous one. Each fault records when it started and ended
(seconds into the run) and what it saw; the backlog is timed from the end of
the last one.
"""

import time
from dataclasses import dataclass, field

import requests
from django.db import DatabaseError, connections

from chaos.plan import Plan
from chaos.stack import ChaosStack

ERP_LATENCY_MS = 3000
FAULT_RATE = 0.3
IN_FLIGHT_POLL_SECONDS = 0.02  # an upload or a poll's apply is over in tenths of a second


class DeadlineReached(Exception):
    pass


@dataclass
class FaultRecord:
    name: str
    started: float
    ended: float | None = None
    notes: list[str] = field(default_factory=list)


def query(read, default=None):
    """``read()`` against the database, or ``default`` while it is down (connections reset)."""
    try:
        return read()
    except DatabaseError:
        connections.close_all()
        return default


def erp_postings_in_flight() -> int:
    from syncplatform.audit.choices import TransactionState
    from syncplatform.audit.models import SyncTransaction
    from syncplatform.orders.models import ERP_ORDER_POST

    return SyncTransaction.objects.filter(
        kind=ERP_ORDER_POST, state=TransactionState.PROCESSING
    ).count()


def outbound_940_not_sent() -> bool:
    from syncplatform.fulfillment.choices import Direction, InterchangeState
    from syncplatform.fulfillment.models import Interchange

    return Interchange.objects.filter(
        direction=Direction.OUTBOUND, state=InterchangeState.PENDING, file_name__startswith="940_"
    ).exists()


def inbound_file_not_archived() -> bool:
    from syncplatform.fulfillment.choices import Direction
    from syncplatform.fulfillment.models import Interchange

    return Interchange.objects.filter(
        direction=Direction.INBOUND, remote_disposed_at__isnull=True
    ).exists()


class FaultScript:
    """Runs the faults of a plan against a started stack; ``records`` says what happened."""

    def __init__(self, stack: ChaosStack, plan: Plan, *, clock, deadline: float, intake_share):
        self.stack, self.plan, self.clock, self.deadline = stack, plan, clock, deadline
        self.intake_share = intake_share  # () -> the share of the orders sent so far
        self.supervisor = stack.supervisor
        self.records: list[FaultRecord] = []

    @property
    def last_fault_ended(self) -> float | None:
        ended = [record.ended for record in self.records if record.ended is not None]
        return max(ended, default=None)

    def run(self) -> None:
        faults = [
            *(
                (f"SIGKILL realtime worker {n + 1}", self.kill_realtime_worker, n)
                for n in range(self.plan.worker_kills)
            ),
            ("ERP outage", self.erp_outage, None),
            (f"ERP fault rate {FAULT_RATE:.0%}", self.erp_fault_rate, None),
            ("RabbitMQ restart", self.restart_server, "rabbitmq"),
            ("SFTP outage during a 940 upload", self.sftp_outage_during_upload, None),
            ("SFTP outage during an inbound poll", self.sftp_outage_during_poll, None),
            ("PostgreSQL restart", self.restart_server, "postgres"),
        ]
        previous_ended = self.clock()
        for number, (name, fault, argument) in enumerate(faults, start=1):
            # Spread over the intake whatever its speed: the k-th of n faults waits until
            # k/(n+1) of the orders were sent, and for a pause after the fault before it.
            self.sleep(max(0.0, previous_ended + self.plan.pause_seconds - self.clock()))
            share = number / (len(faults) + 1)
            self.wait_for(lambda share=share: self.intake_share() >= share, timeout=1e9)
            record = FaultRecord(name, self.clock())
            self.records.append(record)
            print(f"[{record.started:5.0f} s] fault: {name}", flush=True)
            try:
                fault(record) if argument is None else fault(record, argument)
            finally:
                record.ended = previous_ended = self.clock()
            for note in record.notes:
                print(f"          {note}", flush=True)

    # ---------------------------------------------------------------- helpers

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def sleep(self, seconds: float) -> None:
        if seconds > self.remaining():
            raise DeadlineReached
        time.sleep(seconds)

    def wait_for(self, predicate, *, timeout: float, interval: float = 0.5) -> bool:
        """Poll ``predicate`` until it holds or ``timeout`` passes; False on timeout."""
        until = min(self.clock() + timeout, self.deadline)
        while self.clock() < until:
            if query(predicate, False):
                return True
            time.sleep(interval)
        if self.remaining() <= 0:
            raise DeadlineReached
        return False

    def configure_erp(self, **settings) -> None:
        response = requests.post(
            f"{self.stack.endpoints.erp}/_sandbox/config", json=settings, timeout=10
        )
        response.raise_for_status()

    # ---------------------------------------------------------------- faults

    def kill_realtime_worker(self, record: FaultRecord, number: int) -> None:
        """SIGKILL one of the two realtime workers; the supervisor starts it again meanwhile."""
        victim = ("realtime-1", "realtime-2")[number % 2]
        mid_call = number > 0 or self.plan.worker_kills == 1
        if mid_call:
            self.configure_erp(latency_ms=ERP_LATENCY_MS)
        try:
            if mid_call:
                # Calls started after the latency was set are inside the ERP's sleep.
                self.sleep(ERP_LATENCY_MS / 2000)
                seen = self.wait_for(
                    lambda: erp_postings_in_flight() > 0,
                    timeout=self.plan.catch_seconds,
                    interval=0.1,
                )
                in_flight = query(erp_postings_in_flight, 0)
                record.notes.append(
                    f"ERP latency {ERP_LATENCY_MS} ms; {in_flight} posting(s) in flight"
                    + ("" if seen else " (none seen: the queue was empty)")
                )
            pid = self.supervisor.kill(victim)
        finally:
            if mid_call:
                self.configure_erp(latency_ms=0)
        record.notes.append(f"killed {victim} (pid {pid}) with SIGKILL; the supervisor restarts it")

    def erp_outage(self, record: FaultRecord) -> None:
        self.configure_erp(outage=True)
        try:
            self.sleep(self.plan.erp_outage_seconds)
        finally:
            self.configure_erp(outage=False)
        record.notes.append(f"every ERP call answered 503 for {self.since(record)}")

    def erp_fault_rate(self, record: FaultRecord) -> None:
        self.configure_erp(fault_rate=FAULT_RATE)
        try:
            self.sleep(self.plan.erp_fault_seconds)
        finally:
            self.configure_erp(fault_rate=0.0)
        record.notes.append(f"{FAULT_RATE:.0%} of creates refused for {self.since(record)}")

    def restart_server(self, record: FaultRecord, name: str) -> None:
        self.stack.stop_server(name)
        stopped = self.since(record)
        self.stack.start_server(name)
        record.notes.append(f"{name}.sh stop took {stopped}; back up after {self.since(record)}")

    def sftp_outage_during_upload(self, record: FaultRecord) -> None:
        outbound = self.stack.endpoints.warehouse_root / "outbound"

        def uploading() -> bool:
            # The SFTP client writes .940_<number>.edi.part, then renames it into place.
            staged = any(path.match(".940_*.part") for path in outbound.iterdir())
            return staged or outbound_940_not_sent()

        caught = self.wait_for(
            uploading, timeout=self.plan.catch_seconds, interval=IN_FLIGHT_POLL_SECONDS
        )
        self.sftp_outage(record, self.plan.sftp_outage_seconds)
        record.notes.append(
            "stopped with a 940 upload in flight"
            if caught
            else f"no 940 upload seen in flight within {self.plan.catch_seconds:.0f} s: "
            "stopped anyway, and the next 940 run met the outage"
        )

    def sftp_outage_during_poll(self, record: FaultRecord) -> None:
        caught = self.wait_for(
            inbound_file_not_archived,
            timeout=self.plan.catch_seconds,
            interval=IN_FLIGHT_POLL_SECONDS,
        )
        self.sftp_outage(record, self.plan.sftp_outage_seconds)
        record.notes.append(
            "stopped while a poll held a received file not yet archived"
            if caught
            else f"no poll seen taking a file within {self.plan.catch_seconds:.0f} s: "
            "stopped anyway, and the next polls met the outage"
        )

    def sftp_outage(self, record: FaultRecord, seconds: float) -> None:
        stopped = self.clock()
        self.supervisor.hold("warehouse")
        try:
            self.sleep(seconds)
        finally:
            self.supervisor.release("warehouse")
        record.notes.append(
            f"sandbox warehouse (SFTP server and 3PL) down for {self.clock() - stopped:.1f} s"
        )

    def since(self, record: FaultRecord) -> str:
        return f"{self.clock() - record.started:.1f} s"
