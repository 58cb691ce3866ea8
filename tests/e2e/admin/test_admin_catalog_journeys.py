"""The catalog pages in Chromium on the real server: loads, their progress, refused rows, Run now,
and publication runs.

Screenshots of each page land in var/test-artifacts/admin/<test name>/ (see conftest).
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connectors.idoc.catalog_files import BadRow, generate_matmas
from syncplatform.catalog.choices import LoadStatus, SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource, PublicationRun
from syncplatform.catalog.models.publication import PublicationStatus
from syncplatform.catalog.services.loads import load_file_now, load_next_chunk, queue_load
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig, Partner

pytestmark = pytest.mark.e2e

ETA = re.compile(r"^\d+ (s|min \d\d s)$")


@pytest.fixture
def catalog(transactional_db, settings, tmp_path):
    """An ERP's material source (chunks of 7) and a channel listing sales area 1000/10."""
    settings.VAR_DIR = tmp_path / "var"
    erp = Partner.objects.create(code="demo-erp", name="ERP", kind=PartnerKind.ERP)
    channel = Partner.objects.create(code="demo-web", name="Demo web", kind=PartnerKind.CHANNEL)
    ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        new_materials_get_material_sku=True,
    )
    source = CatalogSource.objects.create(
        partner=erp, code="demo-erp-matmas05", kind=SourceKind.MATMAS05, chunk_size=7
    )
    return source, channel


def _matmas(tmp_path, name: str, count: int, **options):
    path = tmp_path / name
    with path.open("wb") as out:
        generate_matmas(out, count, seed=options.pop("seed", 1), **options)
    return path


def test_operations_watch_loads_download_refused_rows_and_run_a_load_now(
    catalog, tmp_path, admin_browser, staff_user
):
    # given: a finished load that refused two rows, and a load stopped after its first chunk
    source, _ = catalog
    spoiled = {3: BadRow.BAD_EAN, 6: BadRow.UNKNOWN_UNIT}
    finished = load_file_now(source, _matmas(tmp_path, "MATMAS_DAY1.xml", 12, bad_rows=spoiled))
    assert (finished.status, finished.refused) == ("succeeded", 2)
    path = _matmas(tmp_path, "MATMAS_DAY2.xml", 30, seed=2)
    with path.open("rb") as stream:
        unfinished = queue_load(
            source, stream.read, file_name="MATMAS_DAY2.xml", origin="upload", publish=False
        )
    CatalogLoad.objects.filter(pk=unfinished.pk).update(
        created_at=timezone.now() - timedelta(seconds=20)
    )
    load_next_chunk(unfinished.pk)
    unfinished.refresh_from_db()
    CatalogLoad.objects.filter(pk=unfinished.pk).update(
        started_at=timezone.now() - timedelta(seconds=7)
    )
    assert unfinished.status == LoadStatus.RUNNING and unfinished.position == 7
    staff_user("olga", "operations")
    browser, page = admin_browser, admin_browser.page

    # when operations open the catalog loads
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/catalog/catalogload/")

    # then both loads are listed with their progress
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    day2 = rows.filter(has_text="MATMAS_DAY2.xml")
    expect(day2.locator(".catalog-progress")).to_have_text("7 of 30")
    expect(day2).to_contain_text("IDocs/s")
    expect(rows.filter(has_text="MATMAS_DAY1.xml").locator(".catalog-progress")).to_have_text(
        "12 of 12"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    browser.shot("catalog-loads")

    # and the running loads page shows the unfinished one with rate and ETA
    browser.open("/admin/catalog/catalogload/running/")
    expect(page.locator("#content")).to_contain_text("MATMAS_DAY2.xml")
    expect(page.locator("#content")).not_to_contain_text("MATMAS_DAY1.xml")
    expect(page.locator("#content .catalog-progress")).to_have_text("7 of 30")
    browser.shot("catalog-running-loads")

    # and the unfinished load's page shows progress, rate and an ETA
    browser.open(f"/admin/catalog/catalogload/{unfinished.pk}/change/")
    expect(page.locator(".field-progress .catalog-progress")).to_have_text("7 of 30")
    expect(page.locator(".field-rate .readonly")).to_have_text(
        re.compile(r"^(?!0\.0 )\d\.\d IDocs/s$")
    )
    expect(page.locator(".field-eta .readonly")).to_have_text(ETA)
    browser.shot("catalog-load-progress")

    # when they open the finished load and download its refused rows
    browser.open(f"/admin/catalog/catalogload/{finished.load_id}/change/")
    expect(page.locator(".field-counts")).to_contain_text("refused 2")
    expect(
        page.locator("fieldset", has_text="First refused rows").locator("tbody tr")
    ).to_have_count(2)
    browser.shot("catalog-load-refused-rows")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="download as CSV").click()
    download = download_info.value

    # then the CSV holds both rows with their reasons
    assert download.suggested_filename == f"load-{finished.load_id}-refused.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "position,docnum,key,segment,field,reason,line"
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "6"]
    assert "EAN" in lines[1] or "check digit" in lines[1]
    assert "unit" in lines[2].lower()

    # when they press Run now on the unfinished load
    browser.open("/admin/catalog/catalogload/")
    day2 = page.locator("#result_list tbody tr").filter(has_text="MATMAS_DAY2.xml")
    day2.locator("input.action-select").check()
    page.select_option("select[name=action]", "resume_now")
    browser.shot("catalog-load-run-now")
    page.get_by_role("button", name="Go").click()

    # then its next chunk is queued
    expect(page.locator("ul.messagelist")).to_contain_text(
        "Queued the next chunk of 1 unfinished load(s)"
    )
    browser.shot("catalog-load-run-now-queued")


def test_operations_follow_a_publication_run(catalog, admin_browser, staff_user):
    # given: a finished publication of the channel and one under way (400 of 1,000 in 40 s)
    _, channel = catalog
    now = timezone.now()
    done = PublicationRun.objects.create(
        channel=channel,
        status=PublicationStatus.SUCCEEDED,
        cutoff=now - timedelta(hours=1),
        chunk_size=1000,
        chunks_done=2,
        total=1500,
        done=1500,
        created_count=1200,
        updated_count=290,
        refused_count=10,
        finished_at=now - timedelta(minutes=50),
    )
    running = PublicationRun.objects.create(
        channel=channel, cutoff=now, chunk_size=1000, total=1000, done=400, created_count=400
    )
    PublicationRun.objects.filter(pk=done.pk).update(created_at=now - timedelta(hours=1))
    PublicationRun.objects.filter(pk=running.pk).update(created_at=now - timedelta(seconds=40))
    staff_user("olga", "operations")
    browser, page = admin_browser, admin_browser.page

    # when operations open the publication runs
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/catalog/publicationrun/")

    # then both runs are listed with status and progress
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".publication-progress")).to_have_text("400 of 1000")
    expect(rows.nth(0)).to_contain_text("Running")
    expect(rows.nth(1).locator(".publication-progress")).to_have_text("1500 of 1500")
    expect(rows.nth(1).locator(".publication-counts")).to_have_text(
        "1200 created, 290 updated, 0 unpublished, 10 refused, 0 recovered"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    browser.shot("publication-runs")

    # and at 1366 x 768 every column, "created at" the last, is in sight: nothing scrolls
    # inside the list and each created-at cell ends within it
    page.set_viewport_size({"width": 1366, "height": 768})
    page.reload()
    expect(rows).to_have_count(2)
    clipped = page.evaluate(
        """() => {
            const list = document.querySelector('#changelist .results');
            const right = list.getBoundingClientRect().right;
            const cells = [...document.querySelectorAll(
                '#result_list th.column-created_at, #result_list td.field-created_at')];
            return {
                scrolls: list.scrollWidth > list.clientWidth,
                cells: cells.length,
                beyond: cells.filter(c => c.getBoundingClientRect().right > right + 0.5).length,
            };
        }"""
    )
    assert clipped == {"scrolls": False, "cells": 3, "beyond": 0}
    expect(rows.nth(1).locator("td.field-created_at")).to_be_in_viewport(ratio=1)
    browser.shot("publication-runs-1366x768")

    # and the running one's page shows its rate (~10 listings/s) and an ETA (~1 min)
    browser.open(f"/admin/catalog/publicationrun/{running.pk}/change/")
    expect(page.locator(".field-progress .publication-progress")).to_have_text("400 of 1000")
    expect(page.locator(".field-rate")).to_contain_text("listings/s")
    expect(page.locator(".field-eta .readonly")).to_have_text(ETA)
    browser.shot("publication-run-progress")
