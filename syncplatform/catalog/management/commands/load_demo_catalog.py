"""manage.py load_demo_catalog: the demo ERP's catalog sources and a small generated catalog.

Run by ``load_demo`` (``make run``). Gives the ERP (default ``demo-erp``) a
MATMAS05 and a COND_A04 source that accept its pushes, lists sales org 1000 /
distribution channel 10 on the channel (default ``demo-web``) with channel SKU
= material number for new materials, then generates 40 materials and their
prices (deterministic, seed 1) and loads them as the workers would. Running
it again loads nothing new: the same files are already loaded.
"""

from django.core.management.base import BaseCommand, CommandError

from connectors.idoc.catalog_files import generate_conda04, generate_matmas
from syncplatform.catalog.choices import LoadStatus, SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource
from syncplatform.catalog.services.files import catalog_folder
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.partners.models import ChannelConfig, Partner

GENERATORS = {SourceKind.MATMAS05: generate_matmas, SourceKind.COND_A04: generate_conda04}


class Command(BaseCommand):
    help = "Give the demo ERP catalog sources and load a small generated catalog (40 materials)."

    def add_arguments(self, parser):
        parser.add_argument("--erp", default="demo-erp")
        parser.add_argument("--channel", default="demo-web")
        parser.add_argument("--count", type=int, default=40)

    def handle(self, *args, erp, channel, count, **options):
        try:
            erp_partner = Partner.objects.get(code=erp, kind="erp")
        except Partner.DoesNotExist:
            raise CommandError(f"no ERP partner {erp!r}: run load_demo first") from None
        ChannelConfig.objects.filter(partner__code=channel, sales_org="").update(
            sales_org="1000", distribution_channel="10", new_materials_get_material_sku=True
        )
        folder = catalog_folder() / "demo"
        folder.mkdir(exist_ok=True)
        for kind, generate in GENERATORS.items():
            source, _ = CatalogSource.objects.get_or_create(
                code=f"{erp}-{kind.lower().replace('_', '')}",
                defaults={"partner": erp_partner, "kind": kind, "accepts_push": True},
            )
            path = folder / f"{kind}_demo_{count}.xml"
            with path.open("wb") as out:
                generate(out, count, seed=1)
            summary = self._load(source, path)
            self.stdout.write(f"demo catalog {source.code}: {summary}")

    def _load(self, source, path):
        loaded = CatalogLoad.objects.filter(
            source=source, file_name=path.name, status=LoadStatus.SUCCEEDED
        ).first()
        if loaded is not None:
            return f"{path.name} already loaded (load #{loaded.pk})"
        return load_file_now(source, path)
