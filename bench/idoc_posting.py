"""Benchmark: IDoc postings to the ERP in packages, and an INVOIC02 file from the ERP applied.

Posting (measured): ``send_idoc_postings``, what the scheduled job runs, for
``--postings`` pending shipment confirmations (SHPCON) in packages of
``--package-size`` -- per package: lock the pending postings (SKIP LOCKED),
reserve the DOCNUMs, store the package row and its transaction, write the
DELVRY07 package in a second thread while the IDoc rows are stored, store the
bytes, commit; then the send as the transaction's first attempt (claim, POST
to the sandbox ERP's XML-HTTP inbound, record the ERP's DOCNUMs on the IDocs,
mark the postings sent, events). That is everything between "pending" and
"sent".

Baseline: a bare loop that POSTs the same package bytes (the measured run's,
read beforehand, outside the clock) to the same sandbox URL with ``requests``,
one after the other, each under a new message id, so the ERP stores every
IDoc again: no database, no platform. Target: posting <= 2x the bare loop.

The two sides run alternately ``--runs`` times (default 3) and the medians
are compared; each run prints the load average and its own ratio. What bounds
the posting is printed beside it: the CPU milliseconds per package of this
process (the platform, or the bare loop's client), the sandbox ERP,
PostgreSQL and the whole machine, for each side, measured in the same runs.
Between posting runs the packages and IDocs are deleted and the postings are
pending again. The sandbox ERP is told to wait 10 minutes before
processing what it receives, so its background posting competes with neither
side.

Invoice intake (measured, no baseline): one INVOIC02 package of
``--invoices`` invoices (one per posted order, 1-3 items each) POSTed to
``/api/v1/erp/demo-erp/idocs`` on a gunicorn started here (stored, 202), then
applied by the file's transaction in a fresh child process, as a batch worker
would run it. Reported: invoices/s over store + apply, and the peak RSS of the
web worker and of the applying process, each of which must stay under 300 MB.

Set-up (not timed): its own database ``$BENCH_IDOC_DATABASE`` (default
``syncplatform_bench_idoc``), dropped, recreated, migrated, ``load_demo``, an
IDoc config for demo-erp, the pending postings and the posted orders
bulk-inserted; its own sandbox ERP on a fresh store.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/idoc_posting.py [--postings 10000 --invoices 10000 --runs 3]``).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

import requests  # noqa: E402

from bench.cpu import (  # noqa: E402
    CpuMeter,
    machine_cpu_seconds,
    service_pids,
    tree_cpu_seconds,
)
from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import BIN, PYTHON, REPO, ServerProcess, child_env, free_port  # noqa: E402
from bench.stack import (  # noqa: E402
    bench_database_url,
    manage,
    recreate_database,
    start_sandbox_erp,
)

TARGET_RATIO = 2.0
RSS_LIMIT_MB = 300
DEFAULT_DATABASE = "syncplatform_bench_idoc"
ERP, CHANNEL = "demo-erp", "demo-web"
PUSH_USER, PUSH_PASSWORD = "bench-push", "bench-push-password"
XML_HTTP_INBOUND = "/sap/bc/idoc_xml"
SKUS = (("MAT-100200", "EA"), ("MAT-100201", "EA"), ("MAT-100310", "EA"), ("MAT-300500", "PK"))


def say(message: str) -> None:
    print(message, flush=True)


def require_services() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL (postgres://...) missing: run under `make bench` (with-services.sh)")


def setup_django(database_url: str) -> None:
    """Django in this process on the benchmark database; publishing is recorded, not sent."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
    import django

    django.setup()
    from syncplatform.audit import dispatch

    dispatch.celery_app.send_task = lambda *args, **options: None


# ---------------------------------------------------------------- set-up (not timed)


def configure_erp(erp_url: str):
    from syncplatform.erpdocs.models import IdocConfig
    from syncplatform.partners.models import Partner

    partner = Partner.objects.get(code=ERP)
    config, _ = IdocConfig.objects.update_or_create(
        partner=partner,
        defaults={
            "idoc_url": erp_url,
            "erp_port": "SAPSBX",
            "erp_partner": "SBXCLNT100",
            "inbound_username": PUSH_USER,
        },
    )
    config.set_inbound_password(PUSH_PASSWORD)
    config.save()
    return config


def seed_postings(erp_id: int, count: int) -> int:
    """``count`` pending SHPCON postings of 1-3 items, as shipments make them; items in all."""
    from syncplatform.erpdocs.choices import PostingKind
    from syncplatform.erpdocs.models import Posting

    postings = [
        Posting(
            erp_id=erp_id,
            kind=PostingKind.SHIPMENT_CONFIRMATION,
            reference=f"{80_000_000 + n:010d}",
            delivery_number=f"{80_000_000 + n:010d}",
            document=shipment_document(n),
        )
        for n in range(count)
    ]
    Posting.objects.bulk_create(postings, batch_size=2000)
    return sum(len(p.document["items"]) for p in postings)


def shipment_document(n: int) -> dict:
    return {
        "goods_issue_date": "2026-11-24",
        "sales_order_number": f"{10_000 + n:010d}",
        "external_id": f"SHP-{n}",
        "carrier": "UPSN",
        "tracking_numbers": [f"1Z999AA1{n:010d}"],
        "items": [
            {
                "item_number": 10 * (line + 1),
                "material": SKUS[(n + line) % len(SKUS)][0],
                "quantity": str(1 + (n + line) % 3),
                "ordered_quantity": str(1 + (n + line) % 3),
                "unit": SKUS[(n + line) % len(SKUS)][1],
                "plant": "1000",
                "storage_location": "0002",
            }
            for line in range(1 + n % 3)
        ],
    }


def forget_packages() -> None:
    """Every posting pending again; packages and IDocs gone (their transactions stay)."""
    from django.db import connection

    from syncplatform.erpdocs.models import Idoc, IdocPackage, Posting

    Idoc.objects.all().delete()
    IdocPackage.objects.all().delete()
    Posting.objects.update(state="pending")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------- posting: the two sides


@dataclass(frozen=True)
class PostingRun:
    seconds: float
    packages: int
    megabytes: float
    cpu: dict[str, float]  # CPU seconds by part of the stack, over the run


def cpu_meter(erp: ServerProcess) -> CpuMeter:
    """CPU of this process (the platform, or the bare loop's client), the sandbox ERP,
    PostgreSQL and the whole machine (anything above the sum is other load)."""

    def this_process() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    sources = {"this process": this_process, "ERP": lambda: tree_cpu_seconds(erp.process.pid)}
    if "postgres" in service_pids():
        postgres = service_pids()["postgres"]
        sources["PostgreSQL"] = lambda: tree_cpu_seconds(postgres)
    sources["whole machine"] = machine_cpu_seconds
    return CpuMeter(sources)


def run_posting_job(erp_id: int, postings: int, meter: CpuMeter) -> PostingRun:
    from syncplatform.erpdocs.models import Posting
    from syncplatform.erpdocs.services import send_idoc_postings

    meter.start()
    started = time.perf_counter()
    packages = send_idoc_postings(erp_id)
    seconds = time.perf_counter() - started
    cpu = meter.stop()
    sent = Posting.objects.filter(state="sent").count()
    if sent != postings:
        sys.exit(f"{sent} of {postings} postings sent: the job did not finish; see the admin")
    size = sum(len(bytes(p.content)) for p in packages_of(packages))
    return PostingRun(seconds, len(packages), size / 1e6, cpu)


def packages_of(packages):
    from syncplatform.erpdocs.models import IdocPackage

    return IdocPackage.objects.filter(pk__in=[p.pk for p in packages]).order_by("pk")


def stored_package_bytes() -> list[bytes]:
    from syncplatform.erpdocs.models import IdocPackage

    return [bytes(p.content) for p in IdocPackage.objects.order_by("pk")]


def bare_loop(erp_url: str, packages: list[bytes], meter: CpuMeter) -> tuple[float, dict]:
    """Seconds to POST every package with requests, each under a new message id; CPU."""
    session = requests.Session()
    meter.start()
    started = time.perf_counter()
    for content in packages:
        response = session.post(
            erp_url + XML_HTTP_INBOUND,
            params={"msgguid": uuid.uuid4().hex},
            data=content,
            headers={"Content-Type": "application/xml"},
            timeout=60,
        )
        if response.status_code != 200:
            sys.exit(f"the sandbox refused a bare package: {response.status_code} {response.text}")
    seconds = time.perf_counter() - started
    cpu = meter.stop()
    session.close()
    return seconds, cpu


# ---------------------------------------------------------------- invoice intake


def seed_posted_orders(count: int) -> list[tuple[int, str]]:
    """``count`` posted orders of demo-web: ``(id, ERP sales order number)``."""
    from django.utils import timezone

    from syncplatform.orders.models import Order
    from syncplatform.partners.models import Partner

    channel = Partner.objects.get(code=CHANNEL)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        (
            Order(
                channel=channel,
                channel_order_number=f"BENCHINV-{n:07d}",
                idempotency_scope="bench:invoices",
                idempotency_key=f"BENCHINV-{n:07d}",
                request_sha256="0" * 64,
                correlation_id=f"benchinv-{n}",
                status="shipped",
                ordered_at=now,
                currency="USD",
                customer_id="C-778",
                ship_to_name=f"Customer {n}",
                ship_to_line1="1 Main St",
                ship_to_city="Columbus",
                ship_to_postal_code="43004",
                ship_to_country="US",
                fulfillment_location="WEB-DC",
                shipping_method="GROUND",
                shipping_amount=Decimal("7.95"),
                subtotal=Decimal("39.98"),
                tax_total=Decimal("3.20"),
                discount_total=Decimal("0.00"),
                grand_total=Decimal("51.13"),
                erp_document_number=f"{5_000_000_000 + n}",
                erp_delivery_number=f"{90_000_000 + n:010d}",
                posted_at=now,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    return [(order.pk, order.erp_document_number) for order in orders]


def invoice_package(orders: list[tuple[int, str]]) -> bytes:
    """One INVOIC02 package, an invoice per order, as the ERP's billing run would push it."""
    import io

    from connectors.idoc import (
        Amount,
        ControlRecord,
        DocumentReference,
        Invoice,
        InvoiceDate,
        InvoiceItem,
        InvoicePartner,
        InvoiceTotal,
        ItemIdentifier,
        ItemTax,
        write_invoic02,
    )
    from connectors.idoc import invoic02 as q

    control = ControlRecord(
        idoc_type=q.IDOC_TYPE,
        message_type=q.MESSAGE_TYPE,
        direction="1",
        sender_port="SAPSBX",
        sender_partner_type="LS",
        sender_partner="SBXCLNT100",
        receiver_port="SYNCPLAT",
        receiver_partner_type="LS",
        receiver_partner="SYNCPLAT",
    )

    def invoice(n: int, order_id: int, sales_order: str) -> Invoice:
        items = tuple(
            InvoiceItem(
                item_number=f"{10 * (line + 1):06d}",
                quantity=Decimal(1 + line),
                unit="EA",
                plant="1000",
                references=(
                    DocumentReference(q.SALES_ORDER, sales_order, f"{10 * (line + 1):06d}"),
                ),
                identifiers=(ItemIdentifier(q.MATERIAL, SKUS[line % len(SKUS)][0]),),
                amounts=(
                    Amount(q.UNIT_PRICE, Decimal("19.99")),
                    Amount(q.NET_VALUE, Decimal("19.99") * (1 + line)),
                ),
                taxes=(ItemTax("A1", amount=Decimal("1.60")),),
            )
            for line in range(1 + n % 3)
        )
        return Invoice(
            control=replace(control, docnum=f"{500_000 + n:016d}"),
            invoice_number=f"{90_000_000 + n:010d}",
            currency="USD",
            document_type="INVO",
            partners=(InvoicePartner("AG", "0000100778"), InvoicePartner("RE", "0000100778")),
            references=(
                DocumentReference(q.CUSTOMER_ORDER, f"SP-{order_id:010d}"),
                DocumentReference(q.SALES_ORDER, sales_order),
                DocumentReference(q.DELIVERY, f"{90_000_000 + n:010d}"),
            ),
            dates=(InvoiceDate(q.INVOICE_DATE, date(2026, 11, 25)),),
            items=items,
            totals=(
                InvoiceTotal(q.NET_TOTAL, Decimal("39.98"), "USD"),
                InvoiceTotal(q.TAX_TOTAL, Decimal("3.20"), "USD"),
                InvoiceTotal(q.TOTAL_DUE, Decimal("51.13"), "USD"),
            ),
        )

    out = io.BytesIO()
    write_invoic02(
        (invoice(n, order_id, number) for n, (order_id, number) in enumerate(orders)), out
    )
    return out.getvalue()


def start_web(database_url: str) -> tuple[ServerProcess, str]:
    port = free_port()
    server = ServerProcess(
        "web-idoc-bench",
        [str(BIN / "gunicorn"), "syncplatform.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "300"],
        env=child_env(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="syncplatform.settings"),
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    return server, base_url


def peak_rss_mb(pid: int) -> float:
    """The peak resident set of a live process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def web_worker_pids(master_pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


APPLY_CHILD = """
import os, resource, sys, time
sys.path[0] = {repo!r}
os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
import django
django.setup()
from syncplatform.audit.runner import run_transaction
from syncplatform.erpdocs.models import InboundIdocFile
file = InboundIdocFile.objects.get(pk={file_id})
started = time.perf_counter()
tx = run_transaction(file.transaction_id)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"APPLIED {{tx.state}} {{seconds:.3f}} {{peak:.1f}} {{tx.last_error_message[:300]!r}}")
"""


@dataclass(frozen=True)
class IntakeRun:
    invoices: int
    megabytes: float
    store_seconds: float
    apply_seconds: float
    web_rss_mb: float
    apply_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.invoices / (self.store_seconds + self.apply_seconds)


def run_invoice_intake(database_url: str, count: int) -> IntakeRun:
    from syncplatform.erpdocs.models import InboundIdocFile, Invoice

    orders = seed_posted_orders(count)
    body = invoice_package(orders)
    say(f"intake set-up: {count} posted orders, INVOIC02 package {len(body) / 1e6:.1f} MB")
    web, base_url = start_web(database_url)
    try:
        started = time.perf_counter()
        response = requests.post(
            f"{base_url}/api/v1/erp/{ERP}/idocs",
            data=body,
            auth=(PUSH_USER, PUSH_PASSWORD),
            headers={"Content-Type": "application/xml"},
            timeout=300,
        )
        store_seconds = time.perf_counter() - started
        if response.status_code != 202:
            sys.exit(f"the push was refused: {response.status_code} {response.text[:500]}")
        web_rss = max(peak_rss_mb(pid) for pid in web_worker_pids(web.process.pid))
    finally:
        web.stop()
    file_id = response.json()["id"]
    del body
    child = subprocess.run(
        [PYTHON, "-c", APPLY_CHILD.format(repo=str(REPO), file_id=file_id)],
        cwd=REPO,
        env=child_env(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="syncplatform.settings"),
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((ln for ln in child.stdout.splitlines() if ln.startswith("APPLIED ")), None)
    if child.returncode != 0 or line is None:
        sys.exit(f"applying the file failed:\n{child.stdout[-2000:]}\n{child.stderr[-3000:]}")
    _, state, seconds, peak, error = line.split(" ", 4)
    if state != "succeeded":
        sys.exit(f"the invoice file ended {state}: {error}")
    applied = Invoice.objects.filter(file_id=file_id).count()
    if applied != count:
        sys.exit(f"{applied} of {count} invoices applied")
    size = InboundIdocFile.objects.get(pk=file_id).size
    return IntakeRun(count, size / 1e6, store_seconds, float(seconds), web_rss, float(peak))


# ---------------------------------------------------------------- report


def cpu_ms_per_package(runs: list[dict], packages: int) -> dict[str, float]:
    """The median CPU milliseconds per package of each metered part over the runs."""
    return {
        name: statistics.median(run[name] for run in runs) / packages * 1000 for name in runs[0]
    }


def report_bound(posting: list[PostingRun], bare: list[tuple[float, dict]]) -> None:
    """What bounds the posting here: CPU per package of each part, beside the ERP's own."""
    packages = posting[0].packages
    ours = cpu_ms_per_package([run.cpu for run in posting], packages)
    theirs = cpu_ms_per_package([cpu for _, cpu in bare], packages)
    parts = ("this process", "ERP", "PostgreSQL")

    def line(cpu: dict[str, float], label: str) -> str:
        shown = [f"{label} {cpu['this process']:.0f}"]
        shown += [f"{name} {cpu[name]:.0f}" for name in parts[1:] if name in cpu]
        stack = sum(cpu.get(name, 0.0) for name in parts)
        return f"{', '.join(shown)}; stack {stack:.0f} (whole machine {cpu['whole machine']:.0f})"

    say(f"  CPU ms per package, posting job: {line(ours, 'platform')}")
    say(f"  CPU ms per package, bare loop:   {line(theirs, 'client')}")
    platform = ours["this process"] + ours.get("PostgreSQL", 0.0)
    cores = os.cpu_count() or 1
    say(
        f"  bound: the bare loop waits on the ERP's parse ({theirs['ERP']:.0f} ms CPU a package); "
        f"the job adds {platform:.0f} ms of platform and PostgreSQL CPU a package, on {cores} "
        "cores shared with the ERP, overlapped with its parse only as far as the cores and "
        "the GIL allow"
    )


def report(
    posting: list[PostingRun], bare: list[tuple[float, dict]], postings: int, intake: IntakeRun
) -> None:
    measured = statistics.median(run.seconds for run in posting)
    baseline = statistics.median(seconds for seconds, _ in bare)
    ratio = measured / baseline
    packages, megabytes = posting[0].packages, posting[0].megabytes
    peak = max(intake.web_rss_mb, intake.apply_rss_mb)
    say(
        f"IDoc posting: {postings} SHPCON in {packages} packages ({megabytes:.1f} MB) "
        f"pending to sent {measured:.2f} s vs bare requests loop {baseline:.2f} s, "
        f"ratio {ratio:.2f} x (target <= {TARGET_RATIO:g}x)"
    )
    report_bound(posting, bare)
    say(
        f"INVOIC02 intake: {intake.invoices} invoices ({intake.megabytes:.1f} MB) stored in "
        f"{intake.store_seconds:.2f} s and applied in {intake.apply_seconds:.2f} s: "
        f"{intake.per_second:.0f} invoices/s; peak RSS web {intake.web_rss_mb:.0f} MB, "
        f"applying worker {intake.apply_rss_mb:.0f} MB (limit {RSS_LIMIT_MB} MB)"
    )
    announce(
        Comparison(
            name="idoc_posting",
            measured=f"{measured:.2f} s for {postings} SHPCON in {packages} packages; "
            f"INVOIC02 intake {intake.per_second:.0f} invoices/s, peak RSS {peak:.0f} MB",
            baseline=f"{baseline:.2f} s (bare requests loop, same package bytes)",
            ratio=ratio,
            targets=[
                Target(f"posting <= {TARGET_RATIO:g}x bare loop", ratio <= TARGET_RATIO),
                Target(f"intake peak RSS < {RSS_LIMIT_MB} MB", peak < RSS_LIMIT_MB),
            ],
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=10_000, help="pending SHPCON (10000)")
    parser.add_argument("--package-size", type=int, default=500, help="IDocs per package (500)")
    parser.add_argument("--invoices", type=int, default=10_000, help="INVOIC02 in the file")
    parser.add_argument("--runs", type=int, default=3, help="runs of each posting side (3)")
    arguments = parser.parse_args()
    require_services()
    begun = time.monotonic()
    database_url = bench_database_url("BENCH_IDOC_DATABASE", DEFAULT_DATABASE)
    store = Path(tempfile.mkdtemp(prefix="bench-idoc-erp-")) / "erp.sqlite3"
    erp, erp_url = start_sandbox_erp("sandbox-erp-idoc", store)
    try:
        requests.post(
            f"{erp_url}/_sandbox/config", json={"processing_delay_ms": 600_000}, timeout=10
        ).raise_for_status()
        say(f"set-up: recreating and migrating {database_url.rsplit('/', 1)[1]} ...")
        recreate_database(database_url)
        manage(database_url, "migrate", "--verbosity", "0")
        manage(database_url, "load_demo", "--erp-url", erp_url)
        setup_django(database_url)
        config = configure_erp(erp_url)
        config.package_size = arguments.package_size
        config.save()
        items = seed_postings(config.partner_id, arguments.postings)
        forget_packages()
        say(f"set-up: {arguments.postings} pending SHPCON postings, {items} items")
        posting_runs, bare_runs = [], []
        meter = cpu_meter(erp)
        for number in range(1, arguments.runs + 1):
            if number > 1:
                forget_packages()
            load = Path("/proc/loadavg").read_text().split()[0]
            run = run_posting_job(config.partner_id, arguments.postings, meter)
            posting_runs.append(run)
            say(
                f"run {number}: posting job {run.seconds:.2f} s, {run.packages} packages "
                f"(load average {load})"
            )
            seconds, cpu = bare_loop(erp_url, stored_package_bytes(), meter)
            bare_runs.append((seconds, cpu))
            ratio = run.seconds / seconds
            say(f"run {number}: bare requests loop {seconds:.2f} s, ratio {ratio:.2f}")
        intake = run_invoice_intake(database_url, arguments.invoices)
    finally:
        erp.stop()
    report(posting_runs, bare_runs, arguments.postings, intake)
    say(f"idoc_posting benchmark took {time.monotonic() - begun:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
