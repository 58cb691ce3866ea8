"""``manage.py reconcile``: a reconciliation report written from a terminal, with a progress bar."""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from syncplatform.finance.choices import PeriodBasis
from syncplatform.finance.services import ReportError, Scope, write_report
from syncplatform.finance.services.matching import count_orders
from syncplatform.finance.services.summary import shown_summary
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "Reconcile the orders of a period and channels (channel total, ERP value, shipped, "
        "invoiced, settled) and write the report as CSV or XLSX. Prints the orders per "
        "status and the tie-out; exits 1 when the arguments are wrong or the totals do not "
        "tie out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="period_from", required=True, type=_date)
        parser.add_argument("--to", dest="period_to", required=True, type=_date, help="inclusive")
        parser.add_argument(
            "--channel",
            action="append",
            required=True,
            help="a channel partner code; repeat (or separate with commas) for several",
        )
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument(
            "--by", choices=PeriodBasis.values, default=PeriodBasis.ORDER_DATE, dest="basis"
        )
        parser.add_argument("--tolerance", help="overrides every channel's tolerance")
        parser.add_argument(
            "--out", type=Path, help="file to write (default: in the current folder)"
        )

    def handle(self, *args, period_from, period_to, channel, format, basis, tolerance, out, **_):
        channels = self._channels(channel)
        if period_to < period_from:
            raise CommandError(f"--to {period_to} is before --from {period_from}")
        override = self._tolerance(tolerance)
        codes = "-".join(c.code for c in channels)
        out = out or Path(f"reconciliation-{codes}-{period_from}-{period_to}.{format}")
        scope = Scope(
            tuple(c.pk for c in channels), period_from, period_to, basis, timezone.localdate()
        )
        with tqdm(total=count_orders(scope), unit=" orders", disable=None, file=self.stderr) as bar:

            def progress(rows_done: int) -> None:
                bar.update(rows_done - bar.n)

            try:
                result = write_report(
                    scope, tolerance=override, progress=progress, **{f"{format}_path": out}
                )
            except ReportError as exc:
                raise CommandError(str(exc)) from None
        self._print_summary(out, result, format)
        if not result.summary["ties_out"]:
            raise CommandError("the totals do not tie out (see above)")

    def _channels(self, codes: list[str]) -> list[Partner]:
        wanted = [code.strip() for text in codes for code in text.split(",") if code.strip()]
        found = {
            p.code: p for p in Partner.objects.filter(code__in=wanted, kind=PartnerKind.CHANNEL)
        }
        missing = [code for code in wanted if code not in found]
        if missing:
            raise CommandError(f"no sales channel with the code(s): {', '.join(missing)}")
        return [found[code] for code in dict.fromkeys(wanted)]

    def _tolerance(self, text: str | None) -> Decimal | None:
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise CommandError(f"--tolerance must be an amount, got {text!r}") from None
        if not value.is_finite() or value < 0:
            raise CommandError(f"--tolerance must be 0 or more, got {text!r}")
        return value

    def _print_summary(self, out: Path, result, format: str) -> None:
        write = self.stdout.write
        sha = result.csv_sha256 if format == "csv" else result.xlsx_sha256
        write(f"{out}: {result.rows} orders, {result.exceptions} exceptions (sha256 {sha})")
        for group in shown_summary(result.summary)["groups"]:
            tie = group["tie_out"]
            write(f"{group['channel']} {group['currency']}:")
            for status, sums in group["statuses"].items():
                write(f"  {status}: {sums['orders']} orders, {sums['channel_total']}")
            verdict = "ties out" if Decimal(tie["unexplained"]) == 0 else "DOES NOT TIE OUT"
            write(
                f"  channel total {tie['channel_total']} = ERP value {tie['erp_value']} "
                f"+ listed differences {tie['differences_total']}: {verdict}"
            )
