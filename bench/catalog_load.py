"""Benchmark: a full catalog load of a million materials, and a 1 %-changed delta, against COPY.

Files (not timed, cached under ``var/bench/catalog/`` by count and seed): a
generated MATMAS05 package of ``$SYNC_BENCH_CATALOG_COUNT`` materials
(default 1,000,000; seed 1) and its delta with exactly 1 % of them changed
(seed 2, base seed 1: new descriptions, new EANs, deletions), written by
``connectors.idoc.catalog_files``.

Baseline: the same materials flattened to CSV the way the catalog stores
them -- one product row (number, type, group, base unit, deletion flag,
descriptions, sales areas and plants as JSON, content hash), one row per
unit and one per barcode -- loaded with ``COPY ... FROM STDIN`` into plain
tables (no index, like a bulk load) in the same PostgreSQL, same database.
Flattening is done before the clock starts.

Measured:

* the reader alone (``read_materials`` over the whole file, in this
  process), MB/s and materials/s: what bounds any load of the file; and
  the same over ``plan_chunks`` in one process per core, what chunk tasks
  reading their own byte ranges in parallel could reach;
* the platform's full load: ``syncplatform.catalog.services.loads.load_file_now``
  (what ``manage.py load_catalog FILE`` runs: stored with its sha256, planned
  in chunks, each chunk read, staged with COPY and upserted by content hash,
  listings derived for a channel selling sales org 1000 / channel 10 with
  SKU = material number) into the demo catalog (``load_demo``), in a fresh child process
  whose peak RSS is reported;
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
``.venv/bin/python bench/catalog_load.py`` (``SYNC_BENCH_CATALOG_COUNT=20000``
for a quick check).
"""

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

from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import PYTHON, REPO, child_env  # noqa: E402
from bench.stack import (  # noqa: E402
    bench_database_url,
    manage,
    recreate_database,
    require_real_services,
)
from connectors.idoc.catalog_files import generate_matmas  # noqa: E402
from connectors.idoc.chunks import plan_chunks  # noqa: E402
from connectors.idoc.errors import RefusedRow  # noqa: E402
from connectors.idoc.matmas05 import read_materials  # noqa: E402

COUNT = int(os.environ.get("SYNC_BENCH_CATALOG_COUNT", "1000000"))
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


def time_copy(database_url: str, csvs: dict[str, Path]) -> tuple[float, dict[str, int]]:
    """Seconds to COPY every CSV into its fresh plain table (one transaction), and row counts."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            for table, columns in TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
                cursor.execute(f"CREATE TABLE bench_copy_{table} ({columns})")
            connection.commit()
            started = time.perf_counter()
            for table, path in csvs.items():
                with path.open() as rows:
                    cursor.copy_expert(
                        f"COPY bench_copy_{table} FROM STDIN WITH (FORMAT csv)", rows
                    )
            connection.commit()
            seconds = time.perf_counter() - started
            counts = {}
            for table in TABLES:
                cursor.execute(f"SELECT count(*) FROM bench_copy_{table}")  # noqa: S608 -- our names
                counts[table] = cursor.fetchone()[0]
                cursor.execute(f"DROP TABLE bench_copy_{table}")
            connection.commit()
    finally:
        connection.close()
    return seconds, counts


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
source = CatalogSource.objects.get(code={source!r})
started = time.perf_counter()
summary = load_file_now(source, {path!r})
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("LOADED " + json.dumps({{"seconds": seconds, "peak_mb": peak, **vars(summary)}}))
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


def main() -> int:
    require_real_services()
    say(f"catalog load bench: {COUNT} materials")
    base = cached_matmas("matmas-base", seed=BASE_SEED)
    delta = cached_matmas(
        "matmas-delta", seed=DELTA_SEED, base_seed=BASE_SEED, changed_fraction=DELTA_FRACTION
    )
    expected_changes = round(COUNT * DELTA_FRACTION)
    csvs = cached_csv(base)
    database_url = bench_database_url("BENCH_CATALOG_DATABASE", DEFAULT_DATABASE)
    recreate_database(database_url)

    copy_seconds, counts = time_copy(database_url, csvs)
    rows = sum(counts.values())
    csv_mb = sum(path.stat().st_size for path in csvs.values()) / 1e6
    say(
        f"baseline COPY: {rows:,} rows ({counts['product']:,} products, {counts['unit']:,} "
        f"units, {counts['barcode']:,} barcodes; {csv_mb:.0f} MB of CSV) in {copy_seconds:.1f} s"
    )
    reader = time_reader(base)
    say(f"reader alone: {reader.describe()}; {reader.seconds / copy_seconds:.2f}x COPY")
    workers = os.cpu_count() or 1
    parallel = time_reader_in_chunks(base, workers)
    say(
        f"reader in {workers} processes over plan_chunks: {parallel.materials} materials in "
        f"{parallel.seconds:.1f} s ({parallel.materials / parallel.seconds:,.0f} materials/s); "
        f"{parallel.seconds / copy_seconds:.2f}x COPY"
    )

    if not catalog_is_built():
        say("catalog load: not built yet")
        announce(
            Comparison(
                name="catalog_load",
                measured=f"reader alone {reader.seconds:.1f} s (catalog load not built yet)",
                baseline=f"COPY {copy_seconds:.1f} s ({rows:,} rows)",
                ratio=reader.seconds / copy_seconds,
                targets=[Target("catalog load built", False)],
            )
        )
        return 0

    source = prepare_platform(database_url)
    full = platform_load(database_url, source, base)
    say(
        f"full load: {full['seconds']:.1f} s, peak RSS {full['peak_mb']:.0f} MB; read "
        f"{full['read']}, added {full['added']}, changed {full['changed']}, unchanged "
        f"{full['unchanged']}, deleted {full['deleted']}, refused {full['refused']}, "
        f"listings changed {full['listings_changed']}"
    )
    delta_run = platform_load(database_url, source, delta)
    written = delta_run["changed"] + delta_run["added"] + delta_run["deleted"]
    say(
        f"delta load ({expected_changes} changed): {delta_run['seconds']:.1f} s, peak RSS "
        f"{delta_run['peak_mb']:.0f} MB; read {delta_run['read']}, changed "
        f"{delta_run['changed']}, added {delta_run['added']}, unchanged {delta_run['unchanged']}, "
        f"deleted {delta_run['deleted']}, listings changed {delta_run['listings_changed']}"
    )
    full_ratio = full["seconds"] / copy_seconds
    delta_ratio = delta_run["seconds"] / full["seconds"]
    peak = max(full["peak_mb"], delta_run["peak_mb"])
    say(f"reader alone is {reader.seconds / full['seconds']:.0%} of the full load's time")
    announce(
        Comparison(
            name="catalog_load",
            measured=(
                f"full load {full['seconds']:.1f} s ({COUNT / full['seconds']:,.0f} materials/s), "
                f"delta {delta_run['seconds']:.1f} s, peak RSS {peak:.0f} MB, "
                f"reader alone {reader.seconds:.1f} s"
            ),
            baseline=f"COPY {copy_seconds:.1f} s ({rows:,} rows)",
            ratio=full_ratio,
            targets=[
                Target(
                    f"full load <= {FULL_TARGET}x COPY ({full_ratio:.2f}x)",
                    full_ratio <= FULL_TARGET,
                ),
                Target(
                    f"delta <= {DELTA_TARGET}x full ({delta_ratio:.2f}x)",
                    delta_ratio <= DELTA_TARGET,
                ),
                Target(
                    f"delta writes exactly the {expected_changes} changed ({written})",
                    written == expected_changes,
                ),
                Target(f"peak RSS < {RSS_LIMIT_MB} MB ({peak:.0f} MB)", peak < RSS_LIMIT_MB),
                Target(
                    f"full load read {COUNT} materials, refused none",
                    full["read"] == COUNT and full["refused"] == 0,
                ),
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
