"""The platform under benchmark: its own database, demo data, web, worker and sandbox ERP.

Benchmarks run on the servers ``make bench`` starts (deploy/local/), but never
on the database other runs use: each benchmark drops and recreates
``$BENCH_DATABASE`` (default ``syncplatform_bench``) on the same PostgreSQL
server, migrates it and loads the demo partners. The realtime queue is purged
before a benchmark publishes to it, so nothing left by an earlier run reaches
its worker.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from kombu import Connection, Exchange, Queue

from bench.servers import BIN, PYTHON, REPO, ServerProcess, child_env, free_port, wait_until

DEFAULT_DATABASE = "syncplatform_bench"
REALTIME_QUEUE = "realtime"


def require_real_services() -> None:
    """Exit with a clear message unless PostgreSQL and RabbitMQ are in the environment."""
    database = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not database.startswith("postgres") or not broker.startswith("amqp"):
        sys.exit(
            "benchmarks need PostgreSQL and RabbitMQ in DATABASE_URL and CELERY_BROKER_URL: "
            "run them with `make bench`"
        )


def bench_database_url(variable: str = "BENCH_DATABASE", default: str = DEFAULT_DATABASE) -> str:
    """The owner's URL with the database name replaced by the benchmark's own (``$variable``).

    The owner is SYNC_MIGRATE_DATABASE_URL's role (DATABASE_URL's without it): a benchmark
    creates and drops its database and tables, which the runtime role may not.
    """
    name = os.environ.get(variable, default)
    if not name.replace("_", "").isalnum():
        sys.exit(f"{variable}={name!r}: use letters, digits and underscores")
    parts = urlsplit(os.environ.get("SYNC_MIGRATE_DATABASE_URL") or os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _server_connection(database_url: str):
    parts = urlsplit(database_url)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def recreate_database(database_url: str) -> None:
    """Drop the benchmark database (ending its sessions) and create it empty."""
    name = urlsplit(database_url).path.lstrip("/")
    connection = _server_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def manage(database_url: str, *arguments: str) -> str:
    """Run ``manage.py`` on the benchmark database; its stdout."""
    completed = subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=REPO,
        env=child_env(
            DATABASE_URL=database_url,
            SYNC_MIGRATE_DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="syncplatform.settings",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def prepare_database(erp_url: str) -> tuple[str, str]:
    """A fresh, migrated benchmark database with the demo partners; (its URL, API key)."""
    database_url = bench_database_url()
    recreate_database(database_url)
    manage(database_url, "migrate", "--verbosity", "0")
    output = manage(database_url, "load_demo", "--erp-url", erp_url)
    keys = [line.partition("=")[2] for line in output.splitlines() if line.startswith("DEMO_")]
    if not keys:
        sys.exit(f"load_demo printed no DEMO_API_KEY:\n{output}")
    return database_url, keys[0]


def purge_realtime_queue() -> int:
    """Empty the realtime queue on the broker; how many messages were dropped."""
    with Connection(os.environ["CELERY_BROKER_URL"]) as connection:
        queue = Queue(
            REALTIME_QUEUE, Exchange(REALTIME_QUEUE, type="direct"), routing_key=REALTIME_QUEUE
        )
        bound = queue(connection.default_channel)
        bound.declare()
        return bound.purge() or 0


def start_sandbox_erp(name: str, store: Path) -> tuple[ServerProcess, str]:
    """The sandbox ERP with its default gunicorn settings on a fresh store; (process, base URL)."""
    port = free_port()
    server = ServerProcess(
        name,
        [
            PYTHON,
            "-m",
            "connectors.erp.sandbox",
            "--bind",
            f"127.0.0.1:{port}",
            "--store",
            str(store),
        ],
        env=child_env(),
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/_sandbox/health")
    return server, base_url


def start_realtime_workers(
    database_url: str,
    processes: int,
    threads: int,
    *,
    name: str = "realtime",
    settings_module: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> list[ServerProcess]:
    """Production's realtime lane on the benchmark database: ``processes`` x ``-P threads``.

    Started together and returned once every one is ready (all stopped if one
    is not); logs ``worker-<name>-<n>.log``. They run on production settings
    unless ``settings_module`` (or ``BENCH_WORKER_SETTINGS``, to measure a change
    before making it) names another; ``extra_env`` adds to their environment.
    """
    settings_module = settings_module or os.environ.get(
        "BENCH_WORKER_SETTINGS", "syncplatform.settings"
    )
    workers = [
        ServerProcess(
            f"worker-{name}-{number}",
            realtime_worker_command(f"bench-{name}-{number}", "-P", "threads", "-c", str(threads)),
            env=child_env(
                DATABASE_URL=database_url,
                DJANGO_SETTINGS_MODULE=settings_module,
                **(extra_env or {}),
            ),
        )
        for number in range(1, processes + 1)
    ]
    try:
        for worker in workers:
            worker.wait_log(" ready.", timeout=120)
    except BaseException:
        for worker in workers:
            worker.stop()
        raise
    return workers


def realtime_worker_command(node: str, *pool: str) -> list[str]:
    """``celery worker -Q realtime`` named ``node@host`` with the ``pool`` options given."""
    return [
        str(BIN / "celery"),
        "-A",
        "syncplatform",
        "worker",
        "-Q",
        REALTIME_QUEUE,
        *pool,
        "-n",
        f"{node}@%h",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def posting_states() -> dict[str, int]:
    """States of the ERP postings (load_demo's own transactions left out). Needs Django set up."""
    from django.db.models import Count

    from syncplatform.audit.models import SyncTransaction
    from syncplatform.orders.models import ERP_ORDER_POST

    rows = SyncTransaction.objects.filter(kind=ERP_ORDER_POST).values("state")
    return {row["state"]: row["n"] for row in rows.annotate(n=Count("id"))}


def wait_until_posted(worker: ServerProcess, count: int, timeout: float) -> dict[str, int]:
    """Wait until no posting is received, processing or waiting; their states then.

    Raises when the worker exits or ``timeout`` seconds pass first.
    """

    def settled():
        worker.check_running()
        states = posting_states()
        moving = sum(states.get(s, 0) for s in ("received", "processing", "waiting"))
        return states if moving == 0 else None

    return wait_until(settled, timeout=timeout, what=f"{count} orders to be posted")
