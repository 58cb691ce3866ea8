from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from syncplatform.mappings.choices import MappingKind
from syncplatform.mappings.csvfiles import FORMATS, BadMappingFile, import_mappings


class Command(BaseCommand):
    help = (
        "Load mappings in bulk from CSV and report rows added, changed and refused. "
        "Headers: " + "; ".join(f"{kind}: {','.join(fmt.header)}" for kind, fmt in FORMATS.items())
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=MappingKind.values)
        parser.add_argument("file", type=Path)

    def handle(self, *args, kind, file, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            report = import_mappings(kind, text)
        except BadMappingFile as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(
            f"{file}: {report.added} added, {report.changed} changed, "
            f"{report.unchanged} unchanged, {len(report.refused)} refused"
        )
        for line, reason in report.refused:
            self.stdout.write(f"  line {line}: refused: {reason}")
        if report.refused:
            raise CommandError(f"{len(report.refused)} row(s) refused")
