"""The daily report job, the retention clean-up, and ``manage.py reconcile``."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook

from syncplatform.audit.models import SyncTransaction
from syncplatform.finance.choices import FINANCE_RECONCILE
from syncplatform.finance.models import ReconciliationReport
from syncplatform.finance.services import delete_old_reports, make_daily_reports, run_report
from syncplatform.partners.models import Partner
from tests.finance.histories import history

INV = ("100.00", "D1", None, None)
PAID = ("100.00", "3.20", None)


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Nothing here reaches a broker."""


def test_a_new_channel_gets_its_daily_report_schedule_once(db):
    channel = Partner.objects.create(code="shop-z", name="Shop Z", kind="channel")
    channel.save()
    rows = PeriodicTask.objects.filter(name="yesterday's reconciliation report for shop-z")
    assert rows.count() == 1
    assert rows.get().args == f'["finance.reconcile.daily", {channel.pk}]'
    assert rows.get().queue == "batch"
    Partner.objects.create(code="wh-z", name="WH", kind="warehouse")
    assert not PeriodicTask.objects.filter(name__contains="wh-z").exists()


def test_the_daily_job_makes_yesterdays_report_once_from_the_configured_hour(
    channel, settings, monkeypatch
):
    settings.SYNC_RECON_DAILY_HOUR = 6
    zone = timezone.get_current_timezone()
    early = datetime(2026, 12, 6, 5, 59, tzinfo=zone)
    later = datetime(2026, 12, 6, 6, 30, tzinfo=zone)
    monkeypatch.setattr(timezone, "localtime", lambda *a: early)
    assert make_daily_reports(channel.pk) is None
    monkeypatch.setattr(timezone, "localtime", lambda *a: later)
    report = make_daily_reports(channel.pk)
    assert (report.period_from, report.period_to) == (date(2026, 12, 5), date(2026, 12, 5))
    assert report.daily_slot == f"{channel.code}:2026-12-05"
    assert list(report.channels.all()) == [channel]
    assert make_daily_reports(channel.pk) is None  # the same slot again
    assert ReconciliationReport.objects.count() == 1
    assert SyncTransaction.objects.filter(kind=FINANCE_RECONCILE).count() == 1


def test_reports_past_the_retention_days_are_deleted_with_their_files(
    channel, erp, settings, reports_dir
):
    settings.SYNC_REPORT_RETENTION_DAYS = 30
    history(channel, erp, invoices=[INV], settlements=[PAID])
    old, new = (
        ReconciliationReport.objects.create(
            period_from=date(2026, 11, 1), period_to=date(2026, 11, 30)
        )
        for _ in range(2)
    )
    for report in (old, new):
        report.channels.set([channel])
        run_report(report)
    ReconciliationReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    old_files = [reports_dir / old.csv_file.name, reports_dir / old.xlsx_file.name]
    assert all(path.exists() for path in old_files)
    assert delete_old_reports() == 1
    assert list(ReconciliationReport.objects.all()) == [new]
    assert not any(path.exists() for path in old_files)
    assert (reports_dir / new.csv_file.name).exists()


def test_reconcile_command_writes_the_xlsx_and_prints_the_tie_out(channel, erp, tmp_path):
    history(channel, erp, invoices=[INV], settlements=[PAID])
    history(channel, erp, erp_value="90.00", invoices=[INV], settlements=[PAID])
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "month.xlsx"
    call_command(
        "reconcile", "--from", "2026-11-01", "--to", "2026-11-30", "--channel", channel.code,
        "--format", "xlsx", "--out", str(path), stdout=out, stderr=err,
    )  # fmt: skip
    text = out.getvalue()
    assert f"{path}: 2 orders, 1 exceptions" in text
    assert "  matched: 1 orders, 100.00" in text
    assert "  erp_amount_differs: 1 orders, 100.00" in text
    assert "channel total 200.00 = ERP value 190.00 + listed differences 10.00: ties out" in text
    summary = load_workbook(path)["Summary"]
    rows = [[c.value for c in row] for row in summary.iter_rows()]
    assert rows[0][:5] == ["channel", "currency", "status", "orders", "channel_total"]
    assert rows[1][:4] == [channel.code, "USD", "matched", 1]
    assert rows[2][:4] == [channel.code, "USD", "erp_amount_differs", 1]
    assert rows[3][:5] == [channel.code, "USD", "total", 2, 200]
    assert summary["E2"].number_format == "#,##0.00####"
    assert summary.freeze_panes == "A2"
    assert summary.auto_filter.ref == "A1:L4"
    tie = rows.index(["channel", "currency", "channel_total", "erp_value", "listed_differences",
                      "unexplained", "ties_out", *[None] * 5])  # fmt: skip
    assert rows[tie + 1][:7] == [channel.code, "USD", 200, 190, 10, 0, "yes"]


def test_reconcile_command_by_invoice_date_with_a_tolerance_override(channel, erp, tmp_path):
    history(
        channel,
        erp,
        ordered_on=date(2026, 10, 30),
        invoices=[("100.00", "D", None, date(2026, 11, 2))],
        settlements=[PAID],
    )
    invoiced_on = [("100.00", "D", None, day) for day in (date(2026, 12, 2), date(2026, 11, 5))]
    for invoice in invoiced_on:
        history(channel, erp, erp_value="99.00", invoices=[invoice], settlements=[PAID])
    path = tmp_path / "r.csv"
    call_command(
        "reconcile", "--from", "2026-11-01", "--to", "2026-11-30", "--channel", channel.code,
        "--by", "invoice-date", "--tolerance", "5", "--out", str(path), stdout=io.StringIO(),
        stderr=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [(r["order_date"], r["first_invoice_date"], r["status"]) for r in rows] == [
        ("2026-10-30", "2026-11-02", "matched"),
        ("2026-11-10", "2026-11-05", "matched"),  # 1.00 off, within the 5 asked for
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--channel", "nope"], "no sales channel with the code(s): nope"),
        (
            ["--channel", "demo-web", "--to", "2026-10-01"],
            "--to 2026-10-01 is before --from 2026-11-01",
        ),
        (
            ["--channel", "demo-web", "--tolerance", "abc"],
            "--tolerance must be an amount, got 'abc'",
        ),
        (["--channel", "demo-web", "--tolerance", "-1"], "--tolerance must be 0 or more, got '-1'"),
    ],
)
def test_reconcile_command_refuses_bad_arguments_by_name(channel, tmp_path, arguments, message):
    base = {"--from": "2026-11-01", "--to": "2026-11-30", "--out": str(tmp_path / "x.csv")}
    for flag in ("--to",):
        if flag in arguments:
            base.pop(flag)
    args = [item for pair in base.items() for item in pair] + arguments
    with pytest.raises(CommandError) as error:
        call_command("reconcile", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(error.value) == message
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_sessions_while_the_report_runs(
    channel, erp, monkeypatch, published
):
    # given three committed orders and a report that records progress after each
    for _ in range(3):
        history(channel, erp, invoices=[INV], settlements=[PAID])
    report = ReconciliationReport.objects.create(
        period_from=date(2026, 11, 1), period_to=date(2026, 11, 30), format="csv"
    )
    report.channels.set([channel])
    monkeypatch.setattr("syncplatform.finance.services.reports.PROGRESS_EVERY", 1)
    seen = []
    record = ReconciliationReport.record_progress

    def record_and_look(self, rows_done):
        record(self, rows_done)
        other = connections.create_connection(DEFAULT_DB_ALIAS)  # another session (the admin)
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT rows_done, rows_total FROM finance_reconciliationreport WHERE id = %s",
                    [self.pk],
                )
                seen.append(cursor.fetchone())
        finally:
            other.close()

    monkeypatch.setattr(ReconciliationReport, "record_progress", record_and_look)
    # when it runs as a worker runs it (outside any transaction)
    run_report(report)
    # then each step was committed when it was written
    assert seen == [(1, 3), (2, 3), (3, 3), (3, 3)]
