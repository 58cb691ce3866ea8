"""``python -m bench``: run every benchmark in sequence, then print a summary table.

Each benchmark is a script ``bench/<name>.py`` run as a child process, its
output passed through as it comes. ``--only NAME`` (repeatable) picks some.
A benchmark that is not there yet is reported as "not present". Missed
targets never fail the run; the exit status is 1 only when a benchmark
crashed (exited non-zero) -- the output above says why.

``make bench`` runs this under ``deploy/local/with-services.sh``, which starts
PostgreSQL and RabbitMQ and exports their addresses.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BENCHMARKS = (
    "intake",
    "erp_posting",
    "erp_peak",
    "x12_read",
    "shipping_orders",
    "idoc_posting",
    "catalog_load",
    "catalog_publish",
    "reconciliation",
)

# bench/x12_read.py (another owner) prints no BENCH-RESULT line; its summary line reads
# "x12 read: project 60.1 MB/s, pyx12 3.0 MB/s, ratio 20.0 x (target >= 5x)".
X12_LINE = re.compile(
    r"x12 read: project (?P<measured>[\d.]+ MB/s), pyx12 (?P<baseline>[\d.]+ MB/s), "
    r"ratio (?P<ratio>[\d.]+) x \(target >= (?P<target>[\d.]+)x\)"
)

sys.path[0] = str(REPO)  # run as `python -m bench` or `python bench`: the repo on the path

from bench.report import Comparison, Target, parse_result  # noqa: E402


def comparison_from_x12_line(line: str) -> Comparison | None:
    match = X12_LINE.search(line)
    if not match:
        return None
    ratio, target = float(match["ratio"]), float(match["target"])
    return Comparison(
        name="x12_read",
        measured=match["measured"],
        baseline=f"{match['baseline']} (pyx12)",
        ratio=ratio,
        targets=[Target(f"ratio >= {target:g}x", ratio >= target)],
    )


def run_benchmark(name: str) -> tuple[str, Comparison | None, float]:
    """Run one benchmark, echoing its output; (status, its comparison, seconds)."""
    script = BENCH_DIR / f"{name}.py"
    print(f"\n===== {name} =====", flush=True)
    if not script.exists():
        print(f"{name}: not present")
        return "not present", None, 0.0
    started = time.monotonic()
    comparison = None
    with subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as child:
        for line in child.stdout:
            print(line, end="", flush=True)
            comparison = parse_result(line) or comparison_from_x12_line(line) or comparison
    seconds = time.monotonic() - started
    if child.returncode != 0:
        return f"CRASHED (exit {child.returncode})", comparison, seconds
    if comparison is None:
        return "no result line", None, seconds
    return ("targets met" if comparison.all_met else "TARGET MISSED"), comparison, seconds


def print_summary(rows: list[tuple[str, str, Comparison | None, float]]) -> None:
    print("\n===== summary =====")
    header = f"{'benchmark':<12} {'ratio':>6}  {'result':<18} {'time':>6}  measured | baseline"
    print(header)
    print("-" * len(header))
    for name, status, comparison, seconds in rows:
        ratio = f"{comparison.ratio:.2f}x" if comparison else "-"
        figures = f"{comparison.measured} | {comparison.baseline}" if comparison else ""
        print(f"{name:<12} {ratio:>6}  {status:<18} {seconds:>5.0f}s  {figures}")
        for target in comparison.targets if comparison else []:
            print(
                f"{'':<12} {'':>6}  {'met' if target.met else 'TARGET MISSED':<18} "
                f"{'':>6}  {target.description}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)"
    )
    arguments = parser.parse_args()
    started = time.monotonic()
    rows = []
    for name in arguments.only or BENCHMARKS:
        status, comparison, seconds = run_benchmark(name)
        rows.append((name, status, comparison, seconds))
    print_summary(rows)
    print(f"total {time.monotonic() - started:.0f} s")
    return 1 if any(status.startswith("CRASHED") for _, status, _, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
