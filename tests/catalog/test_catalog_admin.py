"""Catalog admin: loads' progress, running jobs, refused rows as CSV, Run now, roles, price day."""

import csv
import io
import re
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from syncplatform.catalog.choices import LoadStatus, SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource, PriceDayMark, RefusedRow

pytestmark = pytest.mark.django_db


def _member(name: str) -> User:
    user = User.objects.create_user(name, is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def source(erp):
    return CatalogSource.objects.create(partner=erp, code="erp-materials", kind=SourceKind.MATMAS05)


@pytest.fixture
def running_load(source):
    started = timezone.now() - timezone.timedelta(seconds=10)
    return CatalogLoad.objects.create(
        source=source,
        file_name="MATMAS_full.xml",
        origin="sftp",
        sha256="a" * 64,
        status=LoadStatus.RUNNING,
        total=1000,
        position=250,
        read_count=250,
        started_at=started,
    )


@pytest.fixture
def refusing_load(source):
    load = CatalogLoad.objects.create(
        source=source,
        file_name="bad.xml",
        origin="push",
        sha256="b" * 64,
        status=LoadStatus.SUCCEEDED,
        total=3,
        position=3,
        refused_count=2,
    )
    RefusedRow.objects.create(
        load=load,
        position=2,
        docnum="0000000000000002",
        key="",
        segment="E1MARAM",
        field="MATNR",
        reason="MATNR is empty",
        line=40,
    )
    RefusedRow.objects.create(
        load=load,
        position=3,
        docnum="0000000000000003",
        key="10000003",
        segment="E1MARMM",
        field="MEINH",
        reason='unit "ZZ9", with a comma',
        line=None,
    )
    return load


def test_a_running_load_shows_rows_done_of_total_rate_and_eta(client, running_load):
    client.force_login(_member("operations"))

    page = client.get(reverse("admin:catalog_catalogload_change", args=[running_load.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert '<progress value="250" max="1000"' in html and "25%" in html and "250 of 1000" in html
    assert re.search(r"\d+ IDocs/s", html)
    assert re.search(r"(\d+ min )?\d+ s</div>", html)  # the ETA
    assert 'http-equiv="refresh"' in html


def test_the_running_list_shows_only_unfinished_loads(client, running_load, refusing_load):
    client.force_login(_member("finance"))

    page = client.get(reverse("admin:catalog_catalogload_running"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "MATMAS_full.xml" in html and '<progress value="250"' in html
    assert "bad.xml" not in html


def test_refused_rows_download_as_csv(client, refusing_load):
    client.force_login(_member("finance"))

    response = client.get(reverse("admin:catalog_catalogload_refused", args=[refusing_load.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert f"load-{refusing_load.pk}-refused.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["position", "docnum", "key", "segment", "field", "reason", "line"],
        ["2", "0000000000000002", "", "E1MARAM", "MATNR", "MATNR is empty", "40"],
        ["3", "0000000000000003", "10000003", "E1MARMM", "MEINH", 'unit "ZZ9", with a comma', ""],
    ]


def test_people_without_catalog_rights_get_no_csv(client, refusing_load):
    client.force_login(User.objects.create_user("clerk", is_staff=True))

    response = client.get(reverse("admin:catalog_catalogload_refused", args=[refusing_load.pk]))

    assert response.status_code == 403


def test_operations_may_run_a_source_now(client, source, published):
    source.sftp_host = "127.0.0.1"
    source.save()
    client.force_login(_member("operations"))
    changelist = reverse("admin:catalog_catalogsource_changelist")

    response = client.post(changelist, {"action": "run_now", "_selected_action": [source.pk]})

    assert response.status_code == 302
    assert published == [
        ("syncplatform.audit.tasks.run_scheduled_job_task", ["catalog.poll", source.pk])
    ]


def test_finance_only_views_sources_and_loads(client, source, running_load, published):
    client.force_login(_member("finance"))
    changelist = reverse("admin:catalog_catalogsource_changelist")

    page = client.get(changelist)
    edit = client.post(
        reverse("admin:catalog_catalogsource_change", args=[source.pk]), {"code": "renamed"}
    )
    client.post(changelist, {"action": "run_now", "_selected_action": [source.pk]})

    assert page.status_code == 200 and b"Run now" not in page.content
    assert edit.status_code == 403
    assert published == []
    source.refresh_from_db()
    assert source.code == "erp-materials"
    assert (
        client.get(reverse("admin:catalog_catalogload_change", args=[running_load.pk])).status_code
        == 200
    )


def test_operations_may_resume_an_unfinished_load_now(
    client, running_load, refusing_load, published
):
    client.force_login(_member("operations"))
    changelist = reverse("admin:catalog_catalogload_changelist")

    client.post(
        changelist,
        {"action": "resume_now", "_selected_action": [running_load.pk, refusing_load.pk]},
    )

    assert published == [("syncplatform.catalog.tasks.load_catalog_chunk_task", [running_load.pk])]


def test_finance_cannot_resume_loads(client, running_load, published):
    client.force_login(_member("finance"))
    changelist = reverse("admin:catalog_catalogload_changelist")

    page = client.get(changelist)
    client.post(changelist, {"action": "resume_now", "_selected_action": [running_load.pk]})

    assert b"resume_now" not in page.content and published == []


def test_the_price_day_mark_is_shown_read_only_to_operations_and_finance(client):
    mark = PriceDayMark.objects.create(through_date=date(2026, 12, 6))
    for group in ("operations", "finance"):
        client.force_login(_member(group))
        changelist = client.get(reverse("admin:catalog_pricedaymark_changelist"))
        detail = client.get(reverse("admin:catalog_pricedaymark_change", args=[mark.pk]))
        edit = client.post(
            reverse("admin:catalog_pricedaymark_change", args=[mark.pk]),
            {"through_date": "2020-01-01"},
        )
        add = client.get(reverse("admin:catalog_pricedaymark_add"))

        assert changelist.status_code == 200 and b">2026-12-06</a>" in changelist.content
        assert detail.status_code == 200 and b'name="through_date"' not in detail.content
        assert edit.status_code == 403 and add.status_code == 403
    mark.refresh_from_db()
    assert mark.through_date == date(2026, 12, 6)


def test_people_without_catalog_rights_do_not_see_the_price_day_mark(client):
    client.force_login(User.objects.create_user("clerk", is_staff=True))

    response = client.get(reverse("admin:catalog_pricedaymark_changelist"))

    assert response.status_code == 403
