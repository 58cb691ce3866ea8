"""Benchmark: publication of 10,000 changed listings to the sandbox shop, throttling off.

Measured: the publication service as a batch worker runs it -- ``start_publication``
for the channel, then each ``catalog.publish`` chunk transaction through the
runner (claim, read the pending listings with their barcodes and prices,
``productSet`` in requests of 50, record Shopify's ids, the accepted hashes,
the listings' states and the checkpoint per request, queue the next chunk),
from "pending" to "published".

Baseline: a bare loop that POSTs the same GraphQL bodies (built beforehand,
outside the clock, from the same listings in the same batches) to the same
shop with one ``requests.Session``: no database, no platform. The ratio is
the baseline's time over the publication's (throughput); target >= 0.7.

The sides alternate ``--runs`` times (default 3) on a freshly reset shop and
the medians are compared. Set-up (not timed): its own database
``$BENCH_PUBLISH_DATABASE`` (default ``syncplatform_bench_publish``), dropped,
recreated and migrated; the listings bulk-inserted; a sandbox shop started
with ``--no-throttle``.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/catalog_publish.py [--listings 10000 --runs 3]``).
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

import requests  # noqa: E402

from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import PYTHON, ServerProcess, child_env, free_port  # noqa: E402
from bench.stack import bench_database_url, manage, recreate_database  # noqa: E402

TARGET_RATIO = 0.7
DEFAULT_DATABASE = "syncplatform_bench_publish"
TOKEN = "shpat_bench"  # noqa: S105 (the benchmark's own sandbox token)


def say(message: str) -> None:
    print(message, flush=True)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
    import django

    django.setup()
    from syncplatform.audit import dispatch

    dispatch.celery_app.send_task = lambda *args, **options: None  # chunks are run here


def start_shop() -> tuple[ServerProcess, str]:
    port = free_port()
    shop = ServerProcess(
        "sandbox-shop-publish",
        [PYTHON, "-m", "connectors.sandbox_shop", "--bind", f"127.0.0.1:{port}", "--no-throttle"],
        env=child_env(SANDBOX_SHOP_TOKEN=TOKEN),
    )
    url = f"http://127.0.0.1:{port}"
    shop.wait_http(f"{url}/_sandbox/health")
    return shop, url


# ---------------------------------------------------------------- set-up (not timed)


def seed(shop_url: str, count: int) -> int:
    """A channel with the shop and ``count`` pending listings; the channel's id."""
    from django.utils import timezone

    from syncplatform.catalog.models import Listing, Price, Product, ProductUnit
    from syncplatform.partners.models import ChannelConfig, Partner

    erp = Partner.objects.create(code="bench-erp", name="ERP", kind="erp")
    channel = Partner.objects.create(code="bench-shop", name="Shop", kind="channel")
    ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        shop_url=shop_url,
        shop_access_token=TOKEN,
    )
    numbers = [f"MAT-{n:07d}" for n in range(count)]
    area = [{"VKORG": "1000", "VTWEG": "10", "LVORM": False, "VMSTA": ""}]
    products = Product.objects.bulk_create(
        [
            Product(
                number=number,
                base_unit="EA",
                descriptions={"EN": f"Article {number}"},
                sales_areas=area,
                content_hash=hashlib.sha256(number.encode()).digest(),
            )
            for number in numbers
        ],
        batch_size=2000,
    )
    ProductUnit.objects.bulk_create(
        [ProductUnit(product=p, unit="EA", main_ean=_ean(n)) for n, p in enumerate(products)],
        batch_size=2000,
    )
    Price.objects.bulk_create(
        [
            Price(
                condition_type="PR00",
                sales_org="1000",
                distribution_channel="10",
                material=number,
                amount=Decimal(10 + n % 90) + Decimal("0.99"),
                currency="EUR",
                valid_from=date.today() - timedelta(days=1),
                valid_to=date(9999, 12, 31),
                content_hash=hashlib.sha256(f"p{n}".encode()).digest(),
            )
            for n, number in enumerate(numbers)
        ],
        batch_size=2000,
    )
    changed_at = timezone.now() - timedelta(seconds=1)
    Listing.objects.bulk_create(
        [
            Listing(
                channel=channel,
                product=p,
                channel_sku=p.number,
                content_hash=hashlib.sha256(f"l{p.number}".encode()).digest(),
                changed_at=changed_at,
            )
            for p in products
        ],
        batch_size=2000,
    )
    return channel.pk


def _ean(n: int) -> str:
    body = f"400{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_pending_again(channel_id: int) -> None:
    from syncplatform.catalog.models import Listing, ListingPublication, PublicationRun

    # The runs' transactions and their events stay: the audit log is append-only.
    ListingPublication.objects.all().delete()
    PublicationRun.objects.all().delete()
    Listing.objects.filter(channel_id=channel_id).update(publish_state="pending")


def reset_shop(shop_url: str) -> None:
    requests.post(f"{shop_url}/_sandbox/reset", timeout=30).raise_for_status()


# ---------------------------------------------------------------- the two sides


def publish(channel_id: int) -> float:
    """Pending to published through the service and the runner; seconds."""
    from syncplatform.audit.models import SyncTransaction
    from syncplatform.audit.runner import run_transaction
    from syncplatform.catalog.models import Listing
    from syncplatform.catalog.services.publication import CATALOG_PUBLISH, start_publication

    started = time.perf_counter()
    run = start_publication(channel_id)
    while True:
        due = (
            SyncTransaction.objects.filter(kind=CATALOG_PUBLISH, state="received")
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if due is None:
            break
        tx = run_transaction(due)
        if tx.state != "succeeded":
            sys.exit(f"chunk transaction {due} ended {tx.state}: {tx.last_error_message}")
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    left = Listing.objects.filter(channel_id=channel_id).exclude(publish_state="published").count()
    if run.status != "succeeded" or left:
        sys.exit(f"publication ended {run.status} with {left} listings not published")
    return seconds


def bare_bodies(channel_id: int) -> list[bytes]:
    """The same productSet requests the service sends, from the same listings and batches."""
    from connectors.channels import shopify_admin_documents as documents
    from syncplatform.catalog.models import Listing
    from syncplatform.catalog.services.publication import BATCH
    from syncplatform.catalog.services.publication_drafts import read_pending
    from syncplatform.partners.models import ChannelConfig

    config = ChannelConfig.objects.get(partner_id=channel_id)
    ids = list(
        Listing.objects.filter(channel_id=channel_id).order_by("pk").values_list("pk", flat=True)
    )
    bodies = []
    for start in range(0, len(ids), BATCH):
        drafts = [p.draft for p in read_pending(config, ids[start : start + BATCH])]
        bodies.append(documents.body(*documents.product_set_request(drafts)))
    return bodies


def bare_loop(shop_url: str, bodies: list[bytes]) -> float:
    session = requests.Session()
    headers = {"X-Shopify-Access-Token": TOKEN, "Content-Type": "application/json"}
    url = f"{shop_url}/admin/api/2026-10/graphql.json"
    started = time.perf_counter()
    for content in bodies:
        response = session.post(url, data=content, headers=headers, timeout=60)
        response.raise_for_status()
    return time.perf_counter() - started


def shop_variants(shop_url: str) -> int:
    return requests.get(f"{shop_url}/_sandbox/stats", timeout=10).json()["variants"]


# ---------------------------------------------------------------- report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=10_000, help="changed listings (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (3)")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL (postgres://...) missing: run under `make bench`")
    begun = time.monotonic()
    database_url = bench_database_url("BENCH_PUBLISH_DATABASE", DEFAULT_DATABASE)
    shop, shop_url = start_shop()
    try:
        say(f"set-up: recreating and migrating {database_url.rsplit('/', 1)[1]} ...")
        recreate_database(database_url)
        manage(database_url, "migrate", "--verbosity", "0")
        setup_django(database_url)
        channel_id = seed(shop_url, arguments.listings)
        bodies = bare_bodies(channel_id)
        say(f"set-up: {arguments.listings} pending listings, {len(bodies)} requests of 50")
        measured, bare = [], []
        for number in range(1, arguments.runs + 1):
            make_pending_again(channel_id)
            reset_shop(shop_url)
            measured.append(publish(channel_id))
            created = shop_variants(shop_url)
            reset_shop(shop_url)
            bare.append(bare_loop(shop_url, bodies))
            say(
                f"run {number}: publication {measured[-1]:.2f} s ({created} variants created), "
                f"bare requests loop {bare[-1]:.2f} s ({shop_variants(shop_url)} variants)"
            )
    finally:
        shop.stop()
    seconds, baseline = statistics.median(measured), statistics.median(bare)
    ratio = baseline / seconds
    count = arguments.listings
    say(
        f"catalog publication: {count} listings pending to published in {seconds:.2f} s "
        f"({count / seconds:.0f}/s) vs bare requests loop {baseline:.2f} s "
        f"({count / baseline:.0f}/s), ratio {ratio:.2f} x (target >= {TARGET_RATIO:g}x)"
    )
    announce(
        Comparison(
            name="catalog_publish",
            measured=f"{count / seconds:.0f} variants/s ({seconds:.2f} s for {count})",
            baseline=f"{count / baseline:.0f} variants/s (bare requests loop, same bodies)",
            ratio=ratio,
            targets=[Target(f"throughput >= {TARGET_RATIO:g}x bare loop", ratio >= TARGET_RATIO)],
        )
    )
    say(f"catalog_publish benchmark took {time.monotonic() - begun:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
