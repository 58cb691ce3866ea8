"""manage.py load_catalog FILE [--source CODE]: load a MATMAS05 or COND_A04 file now."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from syncplatform.catalog.choices import LoadStatus
from syncplatform.catalog.models import CatalogSource
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.erpdocs.services.inbound import peek_idoc_type


class Command(BaseCommand):
    help = (
        "Load a catalog file (MATMAS05 materials or COND_A04 prices) into a catalog source, "
        "chunk by chunk as the workers do, with a progress bar; prints the summary. Exit 1 "
        "when anything was refused or the load failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="IDoc-XML file (MATMAS05 or COND_A04 package)")
        parser.add_argument(
            "--source",
            help="Catalog source code; optional when exactly one active source has the "
            "file's IDoc type",
        )

    def handle(self, *args, **options):
        source = self._source(options["file"], options["source"])
        bar = tqdm(total=None, unit=" IDocs", desc=source.code, disable=None, file=self.stderr)

        def progress(load):
            bar.total = load.total
            bar.update(load.position - bar.n)

        try:
            summary = load_file_now(source, options["file"], on_chunk=progress)
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from None
        finally:
            bar.close()
        self.stdout.write(str(summary))
        if summary.status == LoadStatus.FAILED or summary.refused:
            raise SystemExit(1)

    def _source(self, path: str, code: str | None) -> CatalogSource:
        if code:
            try:
                return CatalogSource.objects.get(code=code)
            except CatalogSource.DoesNotExist:
                raise CommandError(f"no catalog source {code!r}") from None
        idoc_type = _peek_type(path)
        candidates = list(CatalogSource.objects.filter(kind=idoc_type, is_active=True))
        if len(candidates) != 1:
            known = ", ".join(s.code for s in candidates) or "none"
            raise CommandError(
                f"{path} holds {idoc_type or 'no IDoc type we know'}; name the source with "
                f"--source (active sources of that type: {known})"
            )
        return candidates[0]


def _peek_type(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return peek_idoc_type(handle.read(4096))
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from None
