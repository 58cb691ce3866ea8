"""The production set-up on loopback, started for one chaos run and torn down after it.

PostgreSQL and RabbitMQ are the servers ``deploy/local/with-services.sh``
started (``make chaos``). On them the run gets its own database
(``$CHAOS_DATABASE``, default ``syncplatform_chaos``): dropped, created,
migrated as the owner with the runtime role granted its row privileges, and
the demo partners loaded (``load_demo``, with the warehouse: 940s every 10 s,
inbound polls every 5 s). Then, under the supervisor, the processes of
``deploy/systemd`` with their production commands: gunicorn (2 workers x 8
threads), two realtime workers (16 threads each), one batch worker
(concurrency 2) and beat, all connecting as the runtime role; beside them the sandbox ERP and the
sandbox warehouse (its SFTP server and simulated 3PL), which ships every order
``SHIP_DELAY_SECONDS`` after its 940. The settings are production's but for
the lease (``Plan.lease_seconds``).

RabbitMQ, PostgreSQL and the warehouse are stopped and started by the faults
through the same scripts (``service``); ``stop`` starts again any of them a
fault left down, so the servers ``with-services.sh`` stops are as it left them.
"""

import io
import os
import shlex
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.servers import BIN, PYTHON, REPO, ServerProcess, child_env, free_port, wait_until
from bench.stack import (
    bench_database_url,
    manage,
    recreate_database,
    require_real_services,
    start_sandbox_erp,
)
from chaos.supervisor import Service, Supervisor

DATABASE_VARIABLE, DEFAULT_DATABASE = "CHAOS_DATABASE", "syncplatform_chaos"
SHIP_DELAY_SECONDS = 2
INVENTORY_EVERY_SECONDS = 30
# Every order ships 2 units of one product; stock must not run out over 10,000 orders.
STARTING_STOCK = 1_000_000
# syncplatform-realtime@.service (the batch worker is syncplatform-worker@.service).
REALTIME_POOL = "--pool threads --concurrency 8"  # as production (its unit)
READY_SECONDS = 90


@dataclass(frozen=True)
class Endpoints:
    """Where the run reaches the platform and its partners."""

    web: str
    api_key: str
    erp: str
    erp_store: Path
    warehouse_root: Path


def database_url_named(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def services_env() -> dict:
    """The environment for ``deploy/local/*.sh``: the ports with-services.sh used.

    The ports are read back from the servers' URLs when the caller did not set
    them, so a restart always finds the server it stopped.
    """
    env = child_env()
    env.setdefault("SYNC_PG_PORT", str(urlsplit(env["DATABASE_URL"]).port))
    env.setdefault("SYNC_AMQP_PORT", str(urlsplit(env["CELERY_BROKER_URL"]).port))
    return env


def service(name: str, action: str) -> None:
    """``deploy/local/<name>.sh <action>``; its messages go to the chaos log, not the screen."""
    script = REPO / "deploy" / "local" / f"{name}.sh"
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [str(script), action], env=services_env(), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{script.name} {action} failed:\n{completed.stderr[-2000:]}")


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class ChaosStack:
    """Database, partners and processes of one run; ``start`` once, ``stop`` always."""

    def __init__(self, folder: Path, *, lease_seconds: int, clock):
        self.folder = folder
        self.lease_seconds = lease_seconds
        self.supervisor = Supervisor(clock)
        self.erp_server: ServerProcess | None = None
        self.down: set[str] = set()  # servers a fault has stopped and not started again
        self.endpoints: Endpoints | None = None

    # ---------------------------------------------------------------- start

    def start(self) -> Endpoints:
        require_real_services()
        self.folder.mkdir(parents=True, exist_ok=True)
        owner_url = bench_database_url(DATABASE_VARIABLE, DEFAULT_DATABASE)
        name = urlsplit(owner_url).path.lstrip("/")
        runtime_url = database_url_named(os.environ["DATABASE_URL"], name)
        with ThreadPoolExecutor(max_workers=1) as database:
            migrated = database.submit(self._create_database, owner_url, runtime_url)
            # Meanwhile: the partners' servers, which need no database.
            erp_store = self.folder / "sandbox-erp.sqlite3"
            self.erp_server, erp_url = start_sandbox_erp("chaos-sandbox-erp", erp_store)
            warehouse_root = self.folder / "sftp-root"
            warehouse_port, known_hosts, client_key = self._prepare_warehouse(warehouse_root)
            migrated.result()
        self.say(f"database {name} migrated; sandbox ERP up")
        self._setup_django(runtime_url)
        api_key = self._load_demo(erp_url, warehouse_port, known_hosts, client_key)
        env = child_env(
            DATABASE_URL=runtime_url,
            SYNC_MIGRATE_DATABASE_URL=owner_url,
            DJANGO_SETTINGS_MODULE="syncplatform.settings",
            SYNC_LEASE_SECONDS=str(self.lease_seconds),
            SYNC_VAR_DIR=str(self.folder / "var"),
        )
        web_port = free_port()
        self.supervisor.start_all(
            [
                self._warehouse(warehouse_root, warehouse_port),
                self._web(web_port, env),
                self._worker("realtime-1", "realtime", env, REALTIME_POOL),
                self._worker("realtime-2", "realtime", env, REALTIME_POOL),
                self._worker("batch", "batch", env, "--concurrency 2"),
                self._beat(env),
            ]
        )
        self.endpoints = Endpoints(
            f"http://127.0.0.1:{web_port}", api_key, erp_url, erp_store, warehouse_root
        )
        self.say(f"processes ready: web {self.endpoints.web}, ERP {erp_url}")
        return self.endpoints

    def say(self, message: str) -> None:
        print(f"[{self.supervisor.clock():5.0f} s] {message}", flush=True)

    @staticmethod
    def _create_database(owner_url: str, runtime_url: str) -> None:
        recreate_database(owner_url)
        # The migrations grant the runtime role its privileges when they know its name.
        os.environ["SYNC_DB_RUNTIME_ROLE"] = urlsplit(runtime_url).username
        manage(owner_url, "migrate", "--verbosity", "0")

    def _prepare_warehouse(self, root: Path) -> tuple[int, str, Path]:
        """Keys, folders and the host key to pin; (port, known_hosts line, client key file)."""
        port = free_port()
        completed = subprocess.run(  # noqa: S603 - our own module, fixed arguments
            [*self._warehouse_argv(root, port), "--prepare-only"],
            cwd=REPO,
            env=child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        values = dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line)
        known_hosts = shlex.split(values["SANDBOX_SFTP_KNOWN_HOSTS"])[0]
        return port, known_hosts, Path(shlex.split(values["SANDBOX_SFTP_KEY"])[0])

    def _warehouse_argv(self, root: Path, port: int) -> list[str]:
        state = self.folder / "sandbox-warehouse"
        return [
            PYTHON, "-m", "connectors.sandbox_warehouse",
            "--bind", f"127.0.0.1:{port}", "--root", str(root), "--state", str(state),
            "--make-client-key", str(state / "client_key"),
            "--ship-delay", str(SHIP_DELAY_SECONDS),
            "--inventory-every", str(INVENTORY_EVERY_SECONDS),
            "--starting-stock", str(STARTING_STOCK),
        ]  # fmt: skip

    @staticmethod
    def _load_demo(erp_url: str, port: int, known_hosts: str, client_key: Path) -> str:
        """The demo partners and mappings, the warehouse on the sandbox; the demo API key."""
        from django.core.management import call_command

        output = io.StringIO()
        call_command(
            "load_demo", erp_url=erp_url, sftp_port=port, sftp_known_hosts=known_hosts,
            sftp_key_file=str(client_key), stdout=output, stderr=io.StringIO(),
        )  # fmt: skip
        lines = output.getvalue().splitlines()
        keys = [line.partition("=")[2] for line in lines if line.startswith("DEMO_API_KEY=")]
        if not keys:
            raise RuntimeError(f"load_demo printed no DEMO_API_KEY:\n{output.getvalue()}")
        return keys[0]

    def _warehouse(self, root: Path, port: int) -> Service:
        def listening(process: ServerProcess) -> None:
            wait_until(
                lambda: process.check_running() or port_answers(port),
                timeout=30,
                what=f"the sandbox warehouse on port {port}",
            )

        return Service("warehouse", self._warehouse_argv(root, port), child_env(), listening)

    @staticmethod
    def _web(port: int, env: dict) -> Service:
        """gunicorn as deploy/systemd/syncplatform-web.service runs it."""
        options = f"--bind 127.0.0.1:{port} --workers 2 --threads 8 --access-logfile -"
        return Service(
            "web",
            [str(BIN / "gunicorn"), "syncplatform.wsgi", *shlex.split(options)],
            env,
            wait_ready=lambda process: process.wait_http(
                f"http://127.0.0.1:{port}/healthz", timeout=READY_SECONDS
            ),
        )

    @staticmethod
    def _worker(name: str, queue: str, env: dict, pool: str) -> Service:
        """A Celery worker as deploy/systemd's units run it (``pool``: their pool options)."""
        options = f"-Q {queue} -n chaos-{name}@%h {pool} --loglevel INFO"
        return Service(
            name,
            [str(BIN / "celery"), "-A", "syncplatform", "worker", *shlex.split(options)],
            env,
            wait_ready=lambda process: process.wait_log(" ready.", READY_SECONDS),
        )

    @staticmethod
    def _beat(env: dict) -> Service:
        return Service(
            "beat",
            [str(BIN / "celery"), "-A", "syncplatform", "beat", "--loglevel", "INFO", "--pidfile="],
            env,
            wait_ready=lambda process: process.wait_log("beat lock acquired", READY_SECONDS),
        )

    def _setup_django(self, runtime_url: str) -> None:
        """Django in this process on the run's database, as the runtime role: to watch and count."""
        os.environ["DATABASE_URL"] = runtime_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
        os.environ["SYNC_MIGRATE_DATABASE_URL"] = ""
        import django

        django.setup()

    # ---------------------------------------------------------------- faults

    def stop_server(self, name: str) -> None:
        """Stop PostgreSQL or RabbitMQ with its deploy/local script."""
        self.down.add(name)
        service(name, "stop")

    def start_server(self, name: str) -> None:
        service(name, "start")
        self.down.discard(name)

    # ---------------------------------------------------------------- stop

    def stop(self) -> list[str]:
        """Stop everything this run started; start what a fault left down. Problems, if any.

        Safe to call again: what is stopped stays stopped.
        """
        problems = []
        for name in sorted(self.down):
            try:
                self.start_server(name)
            except RuntimeError as error:
                problems.append(str(error))
        self.supervisor.stop_all()
        if self.erp_server is not None:
            self.erp_server.stop()
        return problems
