"""Benchmark: a full catalog load of a million materials, and a 1 %-changed delta, against COPY.

Files (not timed, cached under ``var/bench/catalog/`` by count and seed): a
generated MATMAS05 package of ``--materials N`` materials (default
``$SYNC_BENCH_CATALOG_COUNT``, else 100,000: a million takes about an hour on
a 2-core machine; seed 1) and its delta with exactly 1 % of them changed
(seed 2, base seed 1: new descriptions, new EANs, deletions), written by
``connectors.idoc.catalog_files``.

Baseline: the same materials flattened to CSV the way the catalog stores
them -- one product row (number, type, group, base unit, deletion flag,
descriptions, sales areas and plants as JSON, content hash), one row per
unit and one per barcode -- loaded with ``COPY ... FROM STDIN`` into plain
tables (no index, like a bulk load) in the same PostgreSQL, same database.
Flattening is done before the clock starts.

Measured (the load average printed beside each figure: ratios are only
comparable within one run):

* the parse floor: a bare lxml ``iterparse`` pass over the same file with
  the reader's settings (``tag="IDOC"``, end events, each IDOC cleared and
  its earlier siblings deleted), nothing done per IDOC -- no XML loader can
  beat it -- in one process and in one process per core over
  ``plan_chunks``; when it alone exceeds 2.5x COPY the bench says the target
  is out of reach for a loader that parses on one core;
* the reader alone (``read_materials`` over the whole file, in this
  process), MB/s and materials/s: what bounds any load of the file; and
  the same over ``plan_chunks`` in one process per core, what chunk tasks
  reading their own byte ranges in parallel could reach;
* the platform's full load: ``syncplatform.catalog.services.loads.load_file_now``
  (what ``manage.py load_catalog FILE`` runs: stored with its sha256, planned
  in chunks, each chunk read, staged with COPY and upserted by content hash,
  listings derived for a channel selling sales org 1000 / channel 10 with
  SKU = material number) into the demo catalog (``load_demo``), in a fresh child process
  whose peak RSS is reported (its own VmHWM: ``ru_maxrss`` would include the bench
  process it was forked from, which Linux carries across ``exec``);
* the delta load of the 1 % file on top of it, in another child process.

Targets: full load <= 2.5x COPY; delta <= 0.4x the full load and writing
exactly the changed materials; peak RSS of the loading process < 300 MB.
While the catalog app has no ``load_file_now`` the platform part prints
``catalog load: not built yet`` and the rest still runs.

Set-up (not timed): its own database ``$BENCH_CATALOG_DATABASE`` (default
``syncplatform_bench_catalog``), dropped, recreated, migrated, ``load_demo``,
demo-erp's MATMAS05 catalog source (made when the demo has none),
demo-web's channel config listing 1000/10 with SKU = material number.

Run: ``make bench`` or, with the servers' variables in the environment,
``.venv/bin/python bench/catalog_load.py --materials 1000000 --skip-reader``
(``--materials 20000`` for a quick check). Generated files take 3.3 GB per
million materials, twice (base and delta), plus the copy the load stores.
"""

import argparse
import csv
import json
import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

import psycopg2  # noqa: E402
from lxml import etree  # noqa: E402

from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import PYTHON, REPO, child_env  # noqa: E402
from bench.stack import (  # noqa: E402
    bench_database_url,
    manage,
    recreate_database,
    require_real_services,
)
from connectors.idoc.catalog_files import generate_matmas  # noqa: E402
from connectors.idoc.chunks import ChunkStream, plan_chunks  # noqa: E402
from connectors.idoc.errors import RefusedRow  # noqa: E402
from connectors.idoc.matmas05 import read_materials  # noqa: E402
from connectors.idoc.package import PARSER_OPTIONS  # noqa: E402

# make bench runs 100,000 (a million takes an hour on this 2-core machine); --materials 1000000
COUNT = int(os.environ.get("SYNC_BENCH_CATALOG_COUNT", "100000"))
CACHE = REPO / "var" / "bench" / "catalog"
DEFAULT_DATABASE = "syncplatform_bench_catalog"
BASE_SEED, DELTA_SEED, DELTA_FRACTION = 1, 2, 0.01
FULL_TARGET, DELTA_TARGET, RSS_LIMIT_MB = 2.5, 0.4, 300
SOURCE_CODE = "bench-materials"
TABLES = {
    "product": "number varchar(40), material_type varchar(4), material_group varchar(9), "
    "base_unit varchar(3), is_deleted boolean, descriptions jsonb, sales_areas jsonb, "
    "plants jsonb, content_hash bytea",
    "unit": "number varchar(40), unit varchar(3), numerator integer, denominator integer, "
    "main_ean varchar(18)",
    "barcode": "number varchar(40), unit varchar(3), ean varchar(18), is_main boolean",
}


def say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- files (cached, not timed)


def cached_matmas(name: str, **options) -> Path:
    """The generated file ``name`` for COUNT materials, written once and kept."""
    path = CACHE / f"{name}-{COUNT}.xml"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        started = time.perf_counter()
        with partial.open("wb") as out:
            generate_matmas(out, COUNT, **options)
        partial.rename(path)
        say(f"generated {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def cached_csv(matmas: Path) -> dict[str, Path]:
    """The materials of ``matmas`` flattened to one CSV per table, as the catalog stores them."""
    paths = {table: matmas.with_name(f"{matmas.stem}.{table}.csv") for table in TABLES}
    if all(path.exists() for path in paths.values()):
        return paths
    started = time.perf_counter()
    handles = {
        table: path.with_suffix(".partial").open("w", newline="") for table, path in paths.items()
    }
    writers = {table: csv.writer(handle) for table, handle in handles.items()}
    dumps = json.dumps
    for m in read_materials(matmas):
        if isinstance(m, RefusedRow):
            continue
        writers["product"].writerow(
            (
                m.number,
                m.material_type,
                m.material_group,
                m.base_unit,
                m.deleted,
                dumps({d.language: d.text for d in m.descriptions}),
                dumps([_area(a) for a in m.sales_areas]),
                dumps([{"WERKS": p.plant, "LVORM": p.deleted} for p in m.plants]),
                "\\x" + m.content_hash().hex(),
            )
        )
        for u in m.units:
            writers["unit"].writerow((m.number, u.unit, u.numerator, u.denominator, u.main_ean))
            for ean in u.eans:
                writers["barcode"].writerow((m.number, u.unit, ean, ean == u.main_ean))
    for table, handle in handles.items():
        handle.close()
        handle_path = paths[table].with_suffix(".partial")
        handle_path.rename(paths[table])
    say(f"flattened {matmas.name} to CSV in {time.perf_counter() - started:.0f} s")
    return paths


def _area(area) -> dict:
    return {
        "VKORG": area.sales_org,
        "VTWEG": area.distribution_channel,
        "LVORM": area.deleted,
        "VMSTA": area.status,
    }


# ---------------------------------------------------------------- baseline


def backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds a local process (a PostgreSQL backend) has used, from /proc; None if unreadable.

    On a shared, loaded machine wall time measures the scheduler as much as
    the work; the CPU both sides spent is printed beside it.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_copy(database_url: str, csvs: dict[str, Path]) -> tuple[float, float | None, dict]:
    """Seconds (wall, and the backend's CPU) to COPY every CSV into its fresh plain table (one
    transaction), and row counts."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            for table, columns in TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
                cursor.execute(f"CREATE TABLE bench_copy_{table} ({columns})")
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
            connection.commit()
            backend_cpu = backend_cpu_seconds(backend)
            started = time.perf_counter()
            for table, path in csvs.items():
                with path.open() as rows:
                    cursor.copy_expert(
                        f"COPY bench_copy_{table} FROM STDIN WITH (FORMAT csv)", rows
                    )
            connection.commit()
            seconds = time.perf_counter() - started
            cpu_after = backend_cpu_seconds(backend)
            cpu = None if cpu_after is None else cpu_after - backend_cpu
            counts = {}
            for table in TABLES:
                cursor.execute(f"SELECT count(*) FROM bench_copy_{table}")  # noqa: S608 -- our names
                counts[table] = cursor.fetchone()[0]
                cursor.execute(f"DROP TABLE bench_copy_{table}")
            connection.commit()
    finally:
        connection.close()
    return seconds, cpu, counts


# ---------------------------------------------------------------- the reader alone


@dataclass(frozen=True)
class ReaderRun:
    seconds: float
    cpu_seconds: float
    materials: int
    megabytes: float

    def describe(self) -> str:
        return (
            f"{self.materials} materials in {self.seconds:.1f} s "
            f"({self.materials / self.seconds:,.0f} materials/s, "
            f"{self.megabytes / self.seconds:.1f} MB/s; CPU {self.cpu_seconds:.1f} s)"
        )


def time_reader(path: Path) -> ReaderRun:
    started, cpu = time.perf_counter(), time.process_time()
    materials = sum(1 for _ in read_materials(path))
    return ReaderRun(
        time.perf_counter() - started,
        time.process_time() - cpu,
        materials,
        path.stat().st_size / 1e6,
    )


def _count_chunk(arguments) -> int:
    path, chunk = arguments
    return sum(1 for _ in read_materials(path, chunk=chunk))


def time_reader_in_chunks(path: Path, workers: int) -> ReaderRun:
    """The reader over ``plan_chunks(path)`` in ``workers`` processes, as chunk tasks could."""
    started, cpu = time.perf_counter(), time.process_time()
    chunks = plan_chunks(path)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        materials = sum(pool.imap_unordered(_count_chunk, [(path, c) for c in chunks]))
    return ReaderRun(
        time.perf_counter() - started,
        time.process_time() - cpu,
        materials,
        path.stat().st_size / 1e6,
    )


# ---------------------------------------------------------------- the parse floor


def _bare_parse(stream) -> int:
    """IDOCs in ``stream`` by lxml's iterparse and nothing else: what no XML loader can beat.

    The reader's own settings (``tag="IDOC"``, end events, no entities), and each
    IDOC cleared with its earlier siblings deleted, so memory stays bounded.
    """
    idocs = 0
    for _, element in etree.iterparse(stream, events=("end",), tag="IDOC", **PARSER_OPTIONS):
        idocs += 1
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return idocs


def time_parse_floor(path: Path) -> ReaderRun:
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        idocs = _bare_parse(stream)
    return ReaderRun(
        time.perf_counter() - started, time.process_time() - cpu, idocs, path.stat().st_size / 1e6
    )


def _bare_parse_chunk(arguments) -> int:
    path, chunk = arguments
    stream = ChunkStream(path, chunk)
    try:
        return _bare_parse(stream)
    finally:
        stream.close()


def time_parse_floor_in_chunks(path: Path, workers: int) -> ReaderRun:
    """The bare parse over ``plan_chunks(path)`` in ``workers`` processes: the floor on N cores."""
    started, cpu = time.perf_counter(), time.process_time()
    chunks = plan_chunks(path)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        idocs = sum(pool.imap_unordered(_bare_parse_chunk, [(path, c) for c in chunks]))
    return ReaderRun(
        time.perf_counter() - started,
        time.process_time() - cpu,
        idocs,
        path.stat().st_size / 1e6,
    )


# ---------------------------------------------------------------- the platform


LOAD_CHILD = """
import json, os, resource, sys, time
sys.path[0] = {repo!r}
os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
import django
django.setup()
from syncplatform.celery import app
app.send_task = lambda *args, **options: None  # the bench publishes nothing
from syncplatform.catalog.models import CatalogSource
from syncplatform.catalog.services.loads import load_file_now
from django.db import connection
from bench.catalog_load import backend_cpu_seconds
source = CatalogSource.objects.get(code={source!r})
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
backend_cpu = backend_cpu_seconds(backend)
started, cpu = time.perf_counter(), time.process_time()
summary = load_file_now(source, {path!r})
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    same_backend = cursor.fetchone()[0] == backend
after = backend_cpu_seconds(backend) if same_backend else None
# VmHWM, this process's own peak: ru_maxrss keeps, across the exec that started us,
# the resident size of the bench process we were forked from (its parse floor runs
# held 378 MB at 100,000 materials, which the load was then said to have used).
try:
    peak = next(
        int(line.split()[1]) / 1024 for line in open("/proc/self/status")
        if line.startswith("VmHWM:")
    )
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = {{
    "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak,
    "backend_cpu_seconds": None if after is None or backend_cpu is None else after - backend_cpu,
    **vars(summary),
}}
print("LOADED " + json.dumps(result))
"""


def catalog_is_built() -> bool:
    """Whether the catalog app offers ``load_file_now`` (read, not imported: no Django here)."""
    loads = REPO / "syncplatform" / "catalog" / "services" / "loads.py"
    return loads.exists() and "\ndef load_file_now(" in loads.read_text()


def prepare_platform(database_url: str) -> str:
    """Migrated database, demo partners, demo-erp's MATMAS05 source (its code), demo-web
    listing 1000/10."""
    manage(database_url, "migrate", "--no-input")
    manage(database_url, "load_demo")
    script = f"""
import os, sys
sys.path[0] = {str(REPO)!r}
os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
import django
django.setup()
from syncplatform.catalog.models import CatalogSource
from syncplatform.partners.models import ChannelConfig, Partner
erp = Partner.objects.get(code="demo-erp")
source = CatalogSource.objects.filter(partner=erp, kind="MATMAS05").first()
if source is None:
    source = CatalogSource.objects.create(code={SOURCE_CODE!r}, partner=erp, kind="MATMAS05")
print("SOURCE", source.code)
ChannelConfig.objects.filter(partner__code="demo-web").update(
    sales_org="1000", distribution_channel="10", new_materials_get_material_sku=True
)
"""
    output = run_child(database_url, script)
    return next(ln for ln in output.splitlines() if ln.startswith("SOURCE ")).split()[1]


def run_child(database_url: str, script: str) -> str:
    child = subprocess.run(
        [PYTHON, "-c", script],
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
    if child.returncode != 0:
        sys.exit(f"child process failed:\n{child.stdout[-2000:]}\n{child.stderr[-3000:]}")
    return child.stdout


def platform_load(database_url: str, source: str, path: Path) -> dict:
    """``load_file_now`` of ``path`` in a fresh process: its summary, seconds and peak RSS."""
    script = LOAD_CHILD.format(repo=str(REPO), source=source, path=str(path))
    output = run_child(database_url, script)
    line = next((ln for ln in output.splitlines() if ln.startswith("LOADED ")), None)
    if line is None:
        sys.exit(f"the load printed no result:\n{output[-2000:]}")
    result = json.loads(line[len("LOADED ") :])
    if result.get("status") != "succeeded":
        say(f"load of {path.name} ended {result.get('status')}: {result.get('error', '')}")
    return result


# ---------------------------------------------------------------- main


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--materials",
        type=int,
        default=COUNT,
        help=f"materials in the generated file (default {COUNT:,}: $SYNC_BENCH_CATALOG_COUNT)",
    )
    parser.add_argument(
        "--skip-reader",
        action="store_true",
        help="do not time read_materials alone (the parse floor and the loads still run)",
    )
    parser.add_argument(
        "--skip-delta",
        action="store_true",
        help="no delta file or delta load (the full load only)",
    )
    return parser.parse_args()


def main() -> int:
    global COUNT  # the cached files are named by it
    arguments = parse_arguments()
    COUNT = arguments.materials
    require_real_services()
    say(f"catalog load bench: {COUNT:,} materials (load {_load()})")
    base = cached_matmas("matmas-base", seed=BASE_SEED)
    delta = None
    if not arguments.skip_delta:
        delta = cached_matmas(
            "matmas-delta", seed=DELTA_SEED, base_seed=BASE_SEED, changed_fraction=DELTA_FRACTION
        )
    csvs = cached_csv(base)
    say(f"file: {base.name}, {base.stat().st_size / 1e6:,.0f} MB of XML")
    database_url = bench_database_url("BENCH_CATALOG_DATABASE", DEFAULT_DATABASE)
    recreate_database(database_url)

    copy_seconds, copy_cpu, counts = time_copy(database_url, csvs)
    rows = sum(counts.values())
    csv_mb = sum(path.stat().st_size for path in csvs.values()) / 1e6
    say(
        f"baseline COPY: {rows:,} rows ({counts['product']:,} products, {counts['unit']:,} "
        f"units, {counts['barcode']:,} barcodes; {csv_mb:.0f} MB of CSV) in {copy_seconds:.1f} s "
        f"(its PostgreSQL backend used {_seconds(copy_cpu)} CPU; load {_load()})"
    )
    workers = os.cpu_count() or 1
    floor = time_parse_floor(base)
    say(
        f"parse floor (bare lxml iterparse, one process): {floor.describe()}; "
        f"{floor.seconds / copy_seconds:.2f}x COPY (load {_load()})"
    )
    floor_parallel = time_parse_floor_in_chunks(base, workers)
    say(
        f"parse floor in {workers} processes over plan_chunks: {floor_parallel.seconds:.1f} s; "
        f"{floor_parallel.seconds / copy_seconds:.2f}x COPY (load {_load()})"
    )
    reader = None
    if not arguments.skip_reader:
        reader = time_reader(base)
        say(
            f"reader alone: {reader.describe()}; {reader.seconds / copy_seconds:.2f}x COPY, "
            f"{reader.seconds / floor.seconds:.2f}x the parse floor (load {_load()})"
        )
        parallel = time_reader_in_chunks(base, workers)
        say(
            f"reader in {workers} processes over plan_chunks: {parallel.materials} materials in "
            f"{parallel.seconds:.1f} s ({parallel.materials / parallel.seconds:,.0f} "
            f"materials/s); {parallel.seconds / copy_seconds:.2f}x COPY (load {_load()})"
        )

    if not catalog_is_built():
        say("catalog load: not built yet")
        announce(
            Comparison(
                name="catalog_load",
                measured=f"parse floor {floor.seconds:.1f} s (catalog load not built yet)",
                baseline=f"COPY {copy_seconds:.1f} s ({rows:,} rows)",
                ratio=floor.seconds / copy_seconds,
                targets=[Target("catalog load built", False)],
            )
        )
        return 0

    source = prepare_platform(database_url)
    full = platform_load(database_url, source, base)
    full_ratio = full["seconds"] / copy_seconds
    say(
        f"full load: {full['seconds']:.1f} s ({COUNT / full['seconds']:,.0f} materials/s, CPU "
        f"{full['cpu_seconds']:.1f} s in the loading process), peak RSS {full['peak_mb']:.0f} MB; "
        f"{full_ratio:.2f}x COPY, {full['seconds'] / floor.seconds:.2f}x the parse floor; read "
        f"{full['read']}, added {full['added']}, changed {full['changed']}, unchanged "
        f"{full['unchanged']}, deleted {full['deleted']}, refused {full['refused']}, "
        f"listings changed {full['listings_changed']} (load {_load()})"
    )
    full_cpu = full["cpu_seconds"] + (full["backend_cpu_seconds"] or 0)
    if copy_cpu and full["backend_cpu_seconds"] is not None:
        say(
            f"CPU, load-independent: full load {full_cpu:.1f} s (loader {full['cpu_seconds']:.1f} "
            f"+ its PostgreSQL backend {full['backend_cpu_seconds']:.1f}) = "
            f"{full_cpu / copy_cpu:.2f}x COPY's {copy_cpu:.2f} s; "
            f"parse floor {floor.cpu_seconds:.1f} s = "
            f"{floor.cpu_seconds / copy_cpu:.2f}x COPY's"
        )
    say(_bound(copy_seconds, floor, floor_parallel, workers))
    targets = [
        Target(f"full load <= {FULL_TARGET}x COPY ({full_ratio:.2f}x)", full_ratio <= FULL_TARGET),
        Target(
            f"peak RSS < {RSS_LIMIT_MB} MB ({full['peak_mb']:.0f} MB)",
            full["peak_mb"] < RSS_LIMIT_MB,
        ),
        Target(
            f"full load read {COUNT} materials, refused none",
            full["read"] == COUNT and full["refused"] == 0,
        ),
    ]
    measured = (
        f"full load {full['seconds']:.1f} s ({COUNT:,} materials, "
        f"{COUNT / full['seconds']:,.0f}/s), parse floor {floor.seconds:.1f} s"
    )
    peak = full["peak_mb"]
    if delta is not None:
        expected_changes = round(COUNT * DELTA_FRACTION)
        delta_run = platform_load(database_url, source, delta)
        written = delta_run["changed"] + delta_run["added"] + delta_run["deleted"]
        delta_ratio = delta_run["seconds"] / full["seconds"]
        peak = max(peak, delta_run["peak_mb"])
        say(
            f"delta load ({expected_changes} changed): {delta_run['seconds']:.1f} s "
            f"({delta_ratio:.2f}x the full load; CPU: loader {delta_run['cpu_seconds']:.1f} s, "
            f"its PostgreSQL backend {_seconds(delta_run['backend_cpu_seconds'])}), "
            f"peak RSS {delta_run['peak_mb']:.0f} MB; read "
            f"{delta_run['read']}, changed {delta_run['changed']}, added {delta_run['added']}, "
            f"unchanged {delta_run['unchanged']}, deleted {delta_run['deleted']}, listings "
            f"changed {delta_run['listings_changed']} (load {_load()})"
        )
        measured += f", delta {delta_run['seconds']:.1f} s"
        targets[1] = Target(f"peak RSS < {RSS_LIMIT_MB} MB ({peak:.0f} MB)", peak < RSS_LIMIT_MB)
        targets += [
            Target(
                f"delta <= {DELTA_TARGET}x full ({delta_ratio:.2f}x)", delta_ratio <= DELTA_TARGET
            ),
            Target(
                f"delta writes exactly the {expected_changes} changed ({written})",
                written == expected_changes,
            ),
        ]
    announce(
        Comparison(
            name="catalog_load",
            measured=f"{measured}, peak RSS {peak:.0f} MB",
            baseline=f"COPY {copy_seconds:.1f} s ({rows:,} rows)",
            ratio=full_ratio,
            targets=targets,
        )
    )
    return 0


def _bound(copy_seconds: float, floor: ReaderRun, floor_parallel: ReaderRun, workers: int) -> str:
    """What the parse floor says about the 2.5x COPY target, measured in this run."""
    one, many = floor.seconds / copy_seconds, floor_parallel.seconds / copy_seconds
    if one <= FULL_TARGET:
        return (
            f"bound: parsing alone takes {one:.2f}x COPY, so {FULL_TARGET}x leaves "
            f"{FULL_TARGET - one:.2f}x COPY for everything else"
        )
    return (
        f"bound: parsing the XML alone takes {one:.2f}x COPY on one core ({many:.2f}x on "
        f"{workers} processes over plan_chunks): a loader that parses on one core cannot reach "
        f"{FULL_TARGET}x COPY here; chunks parse in parallel, so N cores divide the parse"
    )


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f} s"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


if __name__ == "__main__":
    sys.exit(main())
