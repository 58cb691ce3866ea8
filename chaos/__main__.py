"""``python -m chaos``: the chaos run against the production set-up on loopback.

Run it with ``make chaos`` (``deploy/local/with-services.sh`` starts PostgreSQL,
RabbitMQ and sshd first). Exit 0 when every target is met, 1 otherwise.
"""

import argparse
import dataclasses
import shutil
import signal
import sys
from pathlib import Path

from bench.servers import REPO
from chaos.plan import FULL, SHORT
from chaos.report import print_report, targets, write_json
from chaos.run import run


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description=(
            "Post orders through the REST API while workers are SIGKILLed (mid-SOAP-call too), "
            "RabbitMQ and PostgreSQL restart, the ERP is down then faulty and the warehouse's "
            "SFTP server goes down during a 940 upload and during an inbound poll; then print "
            "orders accepted, posted, lost, duplicated, 940 orders sent twice, files applied "
            "twice, the time to clear the backlog and every 5xx, against the targets."
        ),
        epilog=(
            "The run gets its own database ($CHAOS_DATABASE, default syncplatform_chaos, "
            "dropped and recreated) on the servers of DATABASE_URL and CELERY_BROKER_URL; "
            "process logs are in var/bench/logs/chaos-*.log. Exit 1 when a target is missed."
        ),
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"the short run of `make test`: {SHORT.orders} orders, one of each fault",
    )
    parser.add_argument("--orders", type=int, help=f"orders to post (full run {FULL.orders:,})")
    parser.add_argument("--rate", type=float, help=f"orders/s, all clients (full run {FULL.rate})")
    parser.add_argument("--deadline", type=float, help="stop after this many seconds in all")
    parser.add_argument(
        "--folder",
        type=Path,
        default=REPO / "var" / "chaos",
        help="sandbox ERP store and warehouse files (default var/chaos, emptied first)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    plan = SHORT if arguments.short else FULL
    changes = {
        "orders": arguments.orders,
        "rate": arguments.rate,
        "deadline_seconds": arguments.deadline,
    }
    plan = dataclasses.replace(plan, **{k: v for k, v in changes.items() if v is not None})
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the stack is torn down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(
        f"chaos: {plan.orders:,} orders from {plan.clients} clients at {plan.rate:g}/s, "
        f"{plan.worker_kills} worker kill(s) and 6 other faults; "
        f"deadline {plan.deadline_seconds:.0f} s",
        flush=True,
    )
    outcome = run(plan, _empty(arguments.folder))
    print_report(outcome)
    if arguments.json:
        write_json(outcome, arguments.json)
    return 0 if all(target.is_met for target in targets(outcome)) else 1


def _empty(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


if __name__ == "__main__":
    sys.exit(main())
