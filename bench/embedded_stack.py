"""The latency-bound posting run on the embedded default (``make run``'s set-up), for erp_peak.

The embedded default is SQLite (WAL) and the filesystem kombu transport in
``$SYNC_VAR_DIR``, with no ``DATABASE_URL`` and no broker URL. The run happens
in a child process (``run_embedded``) whose environment is exactly that, in a
fresh temporary ``SYNC_VAR_DIR``, so Django in it is on that SQLite database
while the benchmark's own process stays on PostgreSQL. The child:

1. migrates and loads the demo partners (as run.sh does), demo-erp pointed at
   the benchmark's sandbox ERP, its ``max_in_flight`` set;
2. writes the broker's exchange tables as run.sh does;
3. accepts N orders through ``accept_order`` while no worker runs (each is
   published to the realtime queue's folder after its commit);
4. starts the realtime worker with the command of ``deploy/embedded/Procfile``
   (``-P threads -c 16``), times from its "ready" line to the last
   ``posted_at``, and meters the CPU of the worker and the sandbox ERP;
5. prints one ``EMBEDDED-RESULT {json}`` line, which ``run_embedded`` returns.
"""

import argparse
import json
import logging
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

from bench.cpu import CpuMeter, machine_cpu_seconds, tree_cpu_seconds  # noqa: E402
from bench.servers import (  # noqa: E402
    BIN,
    PYTHON,
    REPO,
    BenchSetupError,
    ServerProcess,
    child_env,
)
from bench.stack import wait_until_posted  # noqa: E402

PROCFILE = REPO / "deploy" / "embedded" / "Procfile"
RESULT_PREFIX = "EMBEDDED-RESULT "
# What points a process at PostgreSQL, RabbitMQ or another broker folder: never in the child.
PRODUCTION_VARIABLES = (
    "DATABASE_URL",
    "SYNC_MIGRATE_DATABASE_URL",
    "SYNC_DB_RUNTIME_ROLE",
    "CELERY_BROKER_URL",
    "SYNC_BROKER_DIR",
)
LANES = ("realtime", "batch")


@dataclass(frozen=True)
class EmbeddedRun:
    """The embedded side's outcome: orders posted, seconds from "ready", CPU seconds per part."""

    posted: int
    seconds: float
    cpu_seconds: dict[str, float]
    states: dict[str, int] = field(default_factory=dict)
    accept_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.posted / self.seconds if self.seconds > 0 else 0.0


def embedded_env(var_dir: Path, base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) turned into make run's embedded default."""
    env = dict(child_env() if base is None else base)
    for name in PRODUCTION_VARIABLES:
        env.pop(name, None)
    # BENCH_WORKER_SETTINGS names another settings module, to measure a change before making it.
    settings_module = env.get("BENCH_WORKER_SETTINGS") or "syncplatform.settings"
    env.update(
        SYNC_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=settings_module, PYTHONUNBUFFERED="1"
    )
    return env


def procfile_command(process: str, procfile: Path = PROCFILE) -> list[str]:
    """The argv of ``process`` in a Procfile, its ``.venv/bin/`` program taken from this venv."""
    for line in procfile.read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and not line.lstrip().startswith("#") and name.strip() == process:
            argv = shlex.split(command)
            if argv and argv[0].startswith(".venv/bin/"):
                argv[0] = str(BIN / Path(argv[0]).name)
            return argv
    raise BenchSetupError(f"{procfile} has no {process!r} process")


def realtime_threads(procfile: Path = PROCFILE) -> int:
    """The thread count (``-c``) of the Procfile's realtime worker."""
    argv = procfile_command("realtime", procfile)
    return int(argv[argv.index("-c") + 1])


def parse_result(line: str) -> EmbeddedRun | None:
    """The EmbeddedRun of an ``EMBEDDED-RESULT`` line, else None."""
    if not line.startswith(RESULT_PREFIX):
        return None
    return EmbeddedRun(**json.loads(line[len(RESULT_PREFIX) :]))


def run_embedded(
    var_dir: Path, erp_url: str, erp_pid: int, count: int, max_in_flight: int, timeout: float
) -> EmbeddedRun:
    """Run this module as a child on the embedded default in ``var_dir``; its outcome.

    The child's output is passed through as it comes.
    """
    argv = [PYTHON, str(Path(__file__).resolve()), "--var-dir", str(var_dir)]
    argv += ["--erp-url", erp_url, "--erp-pid", str(erp_pid), "--orders", str(count)]
    argv += ["--max-in-flight", str(max_in_flight), "--timeout", str(timeout)]
    result = None
    with subprocess.Popen(
        argv,
        cwd=REPO,
        env=embedded_env(var_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as child:
        for line in child.stdout:
            found = parse_result(line)
            if found is None:
                print(f"embedded: {line}", end="", flush=True)
            result = found or result
    if child.returncode != 0 or result is None:
        raise BenchSetupError(f"the embedded run exited with {child.returncode} and no result")
    return result


# --- the child: Django on the embedded default's SQLite database -------------------------------


def prepare(erp_url: str, max_in_flight: int) -> None:
    """Migrate, load the demo partners against ``erp_url``, write the broker's exchange tables."""
    import contextlib
    import io

    from django.conf import settings
    from django.core.management import call_command

    with contextlib.redirect_stdout(io.StringIO()):  # load_demo's report of what it loaded
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_demo", erp_url=erp_url, stdout=io.StringIO(), stderr=io.StringIO())
    from syncplatform.partners.models import ErpEndpoint

    ErpEndpoint.objects.update(max_in_flight=max_in_flight)
    # run.sh writes each lane's exchange table before any process starts (see there why).
    control = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"])
    (control / "celery.pidbox.exchange").write_text("[]\n")
    for lane in LANES:
        (control / f"{lane}.exchange").write_text(json.dumps([[lane, "", lane]]) + "\n")


def post_with_worker(erp_pid: int, count: int, timeout: float) -> EmbeddedRun:
    """Start the Procfile's realtime worker; wait until no posting moves. Timed from "ready"."""
    from django.db import connections
    from django.db.models import Max

    from syncplatform.orders.models import Order

    connections.close_all()
    worker = ServerProcess(
        "worker-realtime-embedded", procfile_command("realtime"), env=child_env()
    )
    worker.wait_log(" ready.", timeout=120)
    ready_at = time.time()
    meter = CpuMeter(
        {
            "worker": lambda: tree_cpu_seconds(worker.process.pid),
            "sandbox erp": lambda: tree_cpu_seconds(erp_pid),
            "whole machine": machine_cpu_seconds,
        }
    )
    meter.start()
    try:
        states = wait_until_posted(worker, count, timeout)
        cpu = meter.stop()
    finally:
        worker.stop()
    last = Order.objects.aggregate(last=Max("posted_at"))["last"]
    if last is None:
        raise BenchSetupError(f"the worker posted no order; see {worker.log_path}")
    posted = Order.objects.filter(status="posted").count()
    return EmbeddedRun(posted, last.timestamp() - ready_at, cpu, states)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--erp-url", required=True)
    parser.add_argument("--erp-pid", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--max-in-flight", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=600)
    arguments = parser.parse_args()
    if os.environ.get("DATABASE_URL") or os.environ.get("CELERY_BROKER_URL"):
        sys.exit("the embedded run must not see DATABASE_URL or CELERY_BROKER_URL")
    import django

    django.setup()
    from bench.seeding import accept_demo_orders  # needs django.setup()

    logging.disable(logging.WARNING)  # the demo catalog's loads, kombu's "no hostname"
    prepare(arguments.erp_url, arguments.max_in_flight)
    started = time.perf_counter()
    accept_demo_orders(arguments.orders)
    accept_seconds = time.perf_counter() - started
    logging.disable(logging.NOTSET)
    print(f"accepted {arguments.orders} orders in {accept_seconds:.1f} s (not timed)", flush=True)
    run = post_with_worker(arguments.erp_pid, arguments.orders, arguments.timeout)
    run = EmbeddedRun(**{**asdict(run), "accept_seconds": accept_seconds})
    print(RESULT_PREFIX + json.dumps(asdict(run)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
