"""The platform's processes under a supervisor that restarts whatever exits, as systemd does.

The units in ``deploy/systemd`` say ``Restart=always``; here a thread does the
same every half second and notes every exit, so a process that dies of a
fault (not of the chaos run's own SIGKILL) shows in the figures. A process a
fault stops on purpose (the warehouse's SFTP outage) is *held* and stays down
until released. Output goes to ``var/bench/logs/chaos-<name>-<start>.log``
(``bench.servers``), one file per start, so a killed process keeps its log.
"""

import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.servers import ServerProcess

WATCH_EVERY_SECONDS = 0.5
# Like systemd's start limit: a process that keeps dying is left down (and reported).
MAX_EXITS = 20


@dataclass
class Service:
    """One long-running process: how to start it and how to tell that it is ready."""

    name: str
    argv: list[str]
    env: dict
    wait_ready: Callable[[ServerProcess], None] = field(default=lambda process: None)
    process: ServerProcess | None = None
    starts: int = 0
    kills: int = 0  # SIGKILLs sent by the chaos run itself
    exits: list[str] = field(default_factory=list)  # "SIGKILL at 40 s; ready again at 52 s"
    is_held: bool = False

    @property
    def pid(self) -> int | None:
        return self.process.process.pid if self.process else None


class Supervisor:
    """Starts services, restarts any that exit (unless held), stops them all at the end."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.services: dict[str, Service] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start_all(self, services: list[Service]) -> None:
        """Start the services together, then wait until each is ready."""
        for service in services:
            self.services[service.name] = service
            self._spawn(service)
        for service in services:
            service.wait_ready(service.process)
        self._thread = threading.Thread(target=self._watch, name="chaos-supervisor", daemon=True)
        self._thread.start()

    def kill(self, name: str) -> int:
        """SIGKILL the service's process group (no clean-up at all); returns the old pid.

        The watcher starts it again, as a process manager would.
        """
        with self._lock:
            service = self.services[name]
            pid = service.pid
            service.kills += 1
            os.killpg(pid, signal.SIGKILL)
            service.process.process.wait(10)
        return pid

    def hold(self, name: str) -> None:
        """Stop the service gracefully (SIGTERM) and keep it down until ``release``."""
        with self._lock:
            service = self.services[name]
            service.is_held = True
            service.process.stop()

    def release(self, name: str) -> None:
        """Start a held service again and wait until it is ready."""
        with self._lock:
            service = self.services[name]
            self._spawn(service)
            service.is_held = False
        service.wait_ready(service.process)

    def stop_all(self) -> None:
        """Stop watching, then SIGTERM every service (SIGKILL after 15 s); safe to repeat."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(120)
        with self._lock:
            for service in reversed(list(self.services.values())):
                if service.process is not None:
                    service.process.stop()

    def _spawn(self, service: Service) -> None:
        service.starts += 1
        service.process = ServerProcess(
            f"chaos-{service.name}-{service.starts}", service.argv, env=service.env
        )

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_EVERY_SECONDS):
            for service in list(self.services.values()):
                with self._lock:
                    restarted = self._restart_if_exited(service)
                if restarted:
                    self._wait_restarted(service)

    def _restart_if_exited(self, service: Service) -> bool:
        if service.is_held or service.process is None or len(service.exits) >= MAX_EXITS:
            return False
        code = service.process.process.poll()
        if code is None or self._stopping.is_set():
            return False
        how = f"{signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        service.exits.append(f"{how} at {self.clock():.0f} s")
        service.process.stop()  # closes its log
        self._spawn(service)
        return True

    def _wait_restarted(self, service: Service) -> None:
        try:
            service.wait_ready(service.process)
        except Exception as error:  # the next round sees it exit, and notes that too
            service.exits[-1] += f"; not ready again: {str(error).splitlines()[0]}"
            return
        service.exits[-1] += f", ready again at {self.clock():.0f} s"
