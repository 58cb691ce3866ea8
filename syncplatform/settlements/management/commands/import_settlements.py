import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from syncplatform.settlements.services import (
    SHOPIFY_PAYMENTS,
    BadSettlementFile,
    import_settlements,
)


class Command(BaseCommand):
    help = (
        "Import a payment provider's payout CSV as the channel's settlement lines, all rows or"
        " none: bad rows are listed with their line numbers and nothing is imported (exit 1);"
        " the same file again changes nothing. A channel without a saved settlement format is"
        " read as a Shopify Payments payout transactions export (columns "
        + ", ".join(SHOPIFY_PAYMENTS.columns.values())
        + ")."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="the channel partner's code, e.g. demo-web")
        parser.add_argument("file", type=Path)

    def handle(self, *args, channel, file, **options):
        partner = Partner.objects.filter(code=channel, kind=PartnerKind.CHANNEL).first()
        if partner is None:
            raise CommandError(f"{channel!r} is not a channel partner")
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        with stream, self._progress(file) as bar:
            try:
                report = import_settlements(
                    partner, stream, file.name, on_progress=lambda done: bar.update(done - bar.n)
                )
            except BadSettlementFile as exc:
                raise CommandError(f"{file}: {exc}") from None
        if report.duplicate_of:
            earlier = report.duplicate_of
            self.stdout.write(
                f"{file}: already imported on {earlier.created_at:%Y-%m-%d %H:%M} as import"
                f" #{earlier.pk} ({earlier.accepted_count} lines); nothing changed"
            )
            return
        self.stdout.write(
            f"{file}: {report.accepted} imported, {report.matched} matched to orders,"
            f" {report.refused_count} refused"
        )
        for line, reason in report.refused:
            self.stdout.write(f"  line {line}: refused: {reason}")
        if report.refused_count > len(report.refused):
            self.stdout.write(f"  ... and {report.refused_count - len(report.refused)} more")
        if report.is_refused:
            raise CommandError(
                f"{report.refused_count} row(s) refused; nothing was imported: fix them and"
                " import the whole file again"
            )

    def _progress(self, file: Path) -> tqdm:
        # A bar on a terminal only: logs and tests get the summary alone.
        return tqdm(
            total=file.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=file.name,
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            leave=False,
        )
