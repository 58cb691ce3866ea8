"""Benchmark: the 940 send job for 10,000 posted orders against a bare paramiko upload.

Send job (measured): ``send_and_upload_shipping_orders``, what the scheduled
task runs -- lock the waiting orders, load them with their lines, look up the
mappings, build one 940 set per order, write them as one interchange, store
it with its shipping orders and upload transaction, commit -- then the upload
transaction's first attempt through the runner: claim, put-then-rename on the
warehouse's sshd, record the outcome and mark the shipping orders sent. The
SFTP session (socket, host key pinned, key login) is opened in a second
thread while the batch is built, and the file written there under its hidden
temporary name while the batch commits, as the job does. That is everything between
"orders are posted" and "the file is on the warehouse's server"; the job
publishes nothing when its upload succeeds, and publishing is replaced by a
recorder anyway, so no broker or worker is needed.

Baseline: a bare paramiko upload of random bytes of the same size to the same
server and folder -- socket, ``Transport``, host key compared with the pinned
one, key login, ``SFTPClient.putfo``, close -- the connection and transfer
the send job also pays. Target: send job <= 3x the baseline.

Set-up (not timed): its own database ``$BENCH_940_DATABASE`` (default
``syncplatform_bench_940``) on DATABASE_URL's server, dropped and recreated,
migrated, with the demo partners and mappings (``load_demo``), a
WarehouseConfig for the test sshd (TEST_SFTP_*) and ``--orders`` posted
orders of 1-3 lines, bulk-inserted. The two sides run alternately ``--runs``
times (default 3) and the medians are compared; between send-job runs the
shipping orders and interchanges are deleted, so the same orders wait again.
Each uploaded file is checked against the stored interchange and parsed
(outside the clock); every file written to the SFTP folder is removed at the end.
``--profile`` adds one send job under cProfile and prints where its time went.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/shipping_orders.py [--orders 10000 --runs 3 --profile]``).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

import paramiko  # noqa: E402 - after the path fix above

from bench.report import Comparison, Target, announce  # noqa: E402
from bench.stack import bench_database_url, manage, recreate_database  # noqa: E402

TARGET_RATIO = 3.0
DEFAULT_DATABASE = "syncplatform_bench_940"
NO_ERP = "http://127.0.0.1:9"  # load_demo wants an ERP address; nothing here calls it
CHANNEL, WAREHOUSE = "demo-web", "demo-3pl"
ROUTED_LOCATION = "WEB-DC"  # the demo location mapping routes it to demo-3pl
SKUS = ("TSHIRT-BLK-M", "TSHIRT-BLK-L", "HOODIE-GRY-M", "MUG-WHT-12OZ", "SOCKS-3PK")
SFTP_VARIABLES = ("TEST_SFTP_HOST", "TEST_SFTP_PORT", "TEST_SFTP_USER", "TEST_SFTP_KEY",
                  "TEST_SFTP_HOST_KEY", "TEST_SFTP_ROOT")  # fmt: skip
MEGABYTE = 1_000_000


def say(message: str) -> None:
    print(message, flush=True)


def require_services() -> None:
    """Exit with a clear message unless PostgreSQL and the test sshd are in the environment."""
    missing = [name for name in SFTP_VARIABLES if not os.environ.get(name)]
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.insert(0, "DATABASE_URL (postgres://...)")
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run under `make bench` (with-services.sh)")


def setup_django(database_url: str) -> list[tuple]:
    """Django in this process on the benchmark database; publishing goes to the returned list."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
    import django

    django.setup()
    from syncplatform.audit import dispatch

    published: list[tuple] = []
    dispatch.celery_app.send_task = lambda name, args=None, **options: published.append(
        (name, args)
    )
    return published


# ---------------------------------------------------------------- set-up (not timed)


def configure_warehouse():
    """demo-3pl's WarehouseConfig for the test sshd; (the partner, its last control number).

    The control numbers start at a random 9-digit value, so our file names never
    meet another run's in the shared outbound folder.
    """
    from syncplatform.fulfillment.models import ControlNumberSequence, WarehouseConfig
    from syncplatform.partners.models import Partner

    partner = Partner.objects.get(code=WAREHOUSE)
    WarehouseConfig.objects.update_or_create(
        partner=partner,
        defaults={
            "sftp_host": os.environ["TEST_SFTP_HOST"],
            "sftp_port": int(os.environ["TEST_SFTP_PORT"]),
            "sftp_username": os.environ["TEST_SFTP_USER"],
            "sftp_private_key": Path(os.environ["TEST_SFTP_KEY"]).read_text(),
            "sftp_known_hosts": os.environ["TEST_SFTP_HOST_KEY"],
            "settle_seconds": 1,
            "our_isa_id": "SYNCPLATFORM",
            "their_isa_id": "SANDBOX3PL",
        },
    )
    first_number = random.randrange(100_000_000, 900_000_000)
    ControlNumberSequence.objects.update_or_create(
        partner=partner, defaults={"last_value": first_number}
    )
    return partner, first_number


def seed_posted_orders(count: int) -> int:
    """``count`` posted orders of 1-3 lines for demo-web, routed to demo-3pl; lines stored."""
    from django.utils import timezone

    from syncplatform.orders.choices import OrderStatus
    from syncplatform.orders.models import Order, OrderLine
    from syncplatform.partners.models import Partner

    channel = Partner.objects.get(code=CHANNEL)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        (
            Order(channel=channel, status=OrderStatus.POSTED, **order_fields(number, now))
            for number in range(count)
        ),
        batch_size=2000,
    )
    lines = [
        OrderLine(
            order=order,
            line_number=line_number,
            sku=SKUS[(number + line_number) % len(SKUS)],
            quantity=1 + (number + line_number) % 4,
            unit_price=Decimal("19.99"),
            tax_code="TX-APPAREL",
            tax_amount=Decimal("1.60"),
            discount_amount=Decimal("0.00"),
        )
        for number, order in enumerate(orders)
        for line_number in range(1, 2 + number % 3)
    ]
    OrderLine.objects.bulk_create(lines, batch_size=5000)
    return len(lines)


def order_fields(number: int, now) -> dict:
    """A posted order's fields but channel and status: ship-to varies, routed to demo-3pl."""
    order_number = f"BENCH940-{number:07d}"
    return dict(
        channel_order_number=order_number,
        idempotency_scope="bench:940",
        idempotency_key=order_number,
        request_sha256="0" * 64,
        correlation_id=f"bench940-{number}",
        ordered_at=now,
        currency="USD",
        customer_id="C-778",
        customer_name="Pat Doe",
        customer_email="pat@example.com",
        ship_to_name=f"Customer {number}",
        ship_to_line1=f"{1 + number % 9999} Main St",
        ship_to_line2="Apt 4" if number % 5 == 0 else "",
        ship_to_city="Columbus",
        ship_to_region="OH",
        ship_to_postal_code="43004",
        ship_to_country="US",
        fulfillment_location=ROUTED_LOCATION,
        shipping_method="GROUND",
        shipping_amount=Decimal("7.95"),
        subtotal=Decimal("39.98"),
        tax_total=Decimal("3.20"),
        discount_total=Decimal("0.00"),
        grand_total=Decimal("51.13"),
        erp_document_number=f"{4_500_000_000 + number}",
        posted_at=now,
    )


def forget_sent_shipping_orders() -> None:
    """Make every order wait again: drop shipping orders and outbound interchanges.

    Their upload transactions stay (their events are append-only); nothing reads them.
    """
    from django.db import connection

    from syncplatform.fulfillment.models import Interchange, ShippingOrder

    ShippingOrder.objects.all().delete()
    Interchange.objects.all().delete()
    vacuum_analyze(connection)


def vacuum_analyze(connection) -> None:
    # Every run starts from the same table state: fresh statistics, no dead rows to skip.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------- the two sides


@dataclass(frozen=True)
class SendRun:
    seconds: float
    build_seconds: float
    upload_seconds: float
    build_queries: int
    file_name: str
    size: int


class QueryCounter:
    """A database execute wrapper that counts statements."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run_send_job(warehouse_id: int, orders: int) -> SendRun:
    """The measured send job: the scheduled task's service, build and upload in one call.

    The build is timed up to the batch's commit, the upload from there (the SFTP
    session was opened during the build, in a second thread).
    """
    from django.db import connection

    from syncplatform.fulfillment.services import outbound, send_and_upload_shipping_orders

    counter = QueryCounter()
    marks: list[float] = []
    run_transaction = outbound.run_transaction

    def upload(transaction_id, handler):
        marks.append(time.perf_counter())
        return run_transaction(transaction_id, handler)

    outbound.run_transaction = upload  # only to time the upload's start
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            interchange = send_and_upload_shipping_orders(warehouse_id, limit=orders)
        finished = time.perf_counter()
    finally:
        outbound.run_transaction = run_transaction
    if interchange is None:
        sys.exit("send_and_upload_shipping_orders found no waiting orders: the set-up is wrong")
    [built] = marks
    return SendRun(
        seconds=finished - started,
        build_seconds=built - started,
        upload_seconds=finished - built,
        build_queries=counter.count,
        file_name=interchange.file_name,
        size=len(interchange.content),
    )


def check_sent(run: SendRun, orders: int, outbound: Path, published: list[tuple]) -> None:
    """The upload succeeded and the server holds exactly the stored, readable interchange."""
    from connectors.edi.envelope import read_interchanges
    from syncplatform.audit.choices import TransactionState
    from syncplatform.fulfillment.choices import ShippingOrderStatus
    from syncplatform.fulfillment.models import Interchange, ShippingOrder

    interchange = Interchange.objects.select_related("transaction").get(file_name=run.file_name)
    tx = interchange.transaction
    if tx.state != TransactionState.SUCCEEDED:
        sys.exit(f"upload of {run.file_name} ended {tx.state}: {tx.last_error_message}")
    on_server = (outbound / run.file_name).read_bytes()
    if on_server != bytes(interchange.content):
        sys.exit(f"{run.file_name} on the server differs from the stored interchange")
    [parsed] = read_interchanges(on_server)
    sets = sum(len(group.transaction_sets) for group in parsed.groups)
    sent = ShippingOrder.objects.filter(
        interchange=interchange, status=ShippingOrderStatus.SENT
    ).count()
    if sets != orders or sent != orders:
        sys.exit(f"{run.file_name}: {sets} sets, {sent} shipping orders sent; wanted {orders}")
    if any(args == [tx.pk] for _, args in published):
        sys.exit(f"the upload of {run.file_name} was published although the job uploaded it")


@dataclass(frozen=True)
class BareSftp:
    """The test sshd as a bare paramiko client sees it: address, login, pinned key."""

    host: str
    port: int
    username: str
    client_key: paramiko.PKey
    host_key: paramiko.PKey

    @classmethod
    def from_environment(cls) -> "BareSftp":
        entry = paramiko.hostkeys.HostKeyEntry.from_line(os.environ["TEST_SFTP_HOST_KEY"])
        if entry is None:
            sys.exit("TEST_SFTP_HOST_KEY is not a known_hosts line")
        return cls(
            host=os.environ["TEST_SFTP_HOST"],
            port=int(os.environ["TEST_SFTP_PORT"]),
            username=os.environ["TEST_SFTP_USER"],
            client_key=paramiko.PKey.from_path(os.environ["TEST_SFTP_KEY"]),
            host_key=entry.key,
        )

    def upload(self, data: bytes, remote_path: str) -> float:
        """Seconds to connect, check the host key, log in, put ``data`` and close."""
        started = time.perf_counter()
        transport = paramiko.Transport(socket.create_connection((self.host, self.port), 15))
        try:
            options = transport.get_security_options()
            options.key_types = [self.host_key.get_name()]
            transport.start_client(timeout=15)
            if transport.get_remote_server_key() != self.host_key:
                sys.exit("the test sshd's host key is not the pinned one")
            transport.auth_publickey(self.username, self.client_key)
            sftp = paramiko.SFTPClient.from_transport(transport)
            sftp.putfo(io.BytesIO(data), remote_path, file_size=len(data))
            sftp.close()
        finally:
            transport.close()
        return time.perf_counter() - started


# ---------------------------------------------------------------- profile and report


def profile_send_job(warehouse_id: int, orders: int) -> None:
    """One more send job under cProfile; prints where its time went.

    The job writes the 940 in a second thread, which a profiler enabled in
    this one does not see: that call gets a profiler of its own, and the
    two are printed together.
    """
    from syncplatform.fulfillment.services import shipping_order_batch as batch

    forget_sent_shipping_orders()
    profiler, writer_profiler = cProfile.Profile(), cProfile.Profile()
    write_940 = batch.write_940
    batch.write_940 = lambda *args, **options: writer_profiler.runcall(write_940, *args, **options)
    profiler.enable()
    try:
        run = run_send_job(warehouse_id, orders)
    finally:
        profiler.disable()
        batch.write_940 = write_940
    say(f"profiled send job: {run.seconds:.2f} s (cProfile slows Python code down)")
    for order_by in ("cumulative", "tottime"):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.add(writer_profiler)
        stats.sort_stats(order_by).print_stats(25)
        say(text.getvalue())


def report(send_runs: list[SendRun], bare_seconds: list[float], orders: int) -> None:
    send = statistics.median(run.seconds for run in send_runs)
    bare = statistics.median(bare_seconds)
    ratio = send / bare
    megabytes = send_runs[0].size / MEGABYTE
    met = ratio <= TARGET_RATIO
    say(
        f"940 send: {orders} orders, {send:.2f} s (file {megabytes:.1f} MB) vs bare paramiko "
        f"upload {bare:.2f} s, ratio {ratio:.1f} x (target <= {TARGET_RATIO:g}x)"
    )
    say("TARGET MET" if met else "TARGET MISSED")
    announce(
        Comparison(
            name="shipping_orders",
            measured=f"{send:.2f} s for {orders} orders ({megabytes:.1f} MB 940)",
            baseline=f"{bare:.2f} s (bare paramiko upload, same size)",
            ratio=ratio,
            targets=[Target(f"send job <= {TARGET_RATIO:g}x bare upload", met)],
        )
    )


def remove_written(outbound: Path, names: list[str]) -> None:
    for name in names:
        for path in (outbound / name, outbound / f".{name}.part"):
            path.unlink(missing_ok=True)


def files_sent_since(partner, first_number: int) -> list[str]:
    """Names of every 940 the sequence numbered after ``first_number`` (sent, or maybe sent)."""
    from syncplatform.fulfillment.models import ControlNumberSequence

    last = ControlNumberSequence.objects.get(partner=partner).last_value
    return [f"940_{number:09d}.edi" for number in range(first_number + 1, last + 1)]


def prepare(orders: int) -> tuple[list[tuple], object, int]:
    """The benchmark database, ready: (published messages, warehouse, first control number)."""
    begun = time.monotonic()
    database_url = bench_database_url("BENCH_940_DATABASE", DEFAULT_DATABASE)
    say(f"set-up: recreating and migrating {database_url.rsplit('/', 1)[1]} ...")
    recreate_database(database_url)
    manage(database_url, "migrate", "--verbosity", "0")
    manage(database_url, "load_demo", "--erp-url", NO_ERP)
    published = setup_django(database_url)
    warehouse, first_number = configure_warehouse()
    lines = seed_posted_orders(orders)
    from django.db import connection

    vacuum_analyze(connection)
    say(f"set-up: {orders} posted orders, {lines} lines, {time.monotonic() - begun:.0f} s")
    return published, warehouse, first_number


def measure(arguments, published, warehouse, outbound: Path, bare_names: list[str]):
    """Both sides, alternately, ``arguments.runs`` times: (send runs, bare upload seconds)."""
    bare = BareSftp.from_environment()
    send_runs: list[SendRun] = []
    bare_seconds: list[float] = []
    for number in range(1, arguments.runs + 1):
        if number > 1:
            forget_sent_shipping_orders()
        run = run_send_job(warehouse.pk, arguments.orders)
        send_runs.append(run)
        check_sent(run, arguments.orders, outbound, published)
        say(
            f"run {number}: send job {run.seconds:.2f} s (build {run.build_seconds:.2f} s "
            f"+ upload {run.upload_seconds:.2f} s, {run.build_queries} queries), "
            f"{run.file_name} {run.size / MEGABYTE:.1f} MB, checked"
        )
        name = f"bench_bare_{os.getpid()}_{number}.bin"
        bare_names.append(name)
        seconds = bare.upload(os.urandom(run.size), f"outbound/{name}")
        if (outbound / name).stat().st_size != run.size:
            sys.exit(f"the bare upload of {name} is not {run.size} bytes on the server")
        bare_seconds.append(seconds)
        say(f"run {number}: bare paramiko upload {seconds:.2f} s")
    return send_runs, bare_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="posted orders (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (3)")
    parser.add_argument("--profile", action="store_true", help="profile one more send job")
    arguments = parser.parse_args()
    require_services()
    begun = time.monotonic()
    published, warehouse, first_number = prepare(arguments.orders)
    outbound = Path(os.environ["TEST_SFTP_ROOT"]) / "outbound"
    bare_names: list[str] = []
    try:
        send_runs, bare_seconds = measure(arguments, published, warehouse, outbound, bare_names)
        if arguments.profile:
            profile_send_job(warehouse.pk, arguments.orders)
    finally:
        remove_written(outbound, bare_names + files_sent_since(warehouse, first_number))
    report(send_runs, bare_seconds, arguments.orders)
    say(f"shipping_orders benchmark took {time.monotonic() - begun:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
