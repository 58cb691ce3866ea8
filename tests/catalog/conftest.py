"""Catalog fixtures: an ERP's sources, a listing channel, generated files, a sandbox shop."""

from pathlib import Path

import pytest

from connectors.idoc.catalog_files import generate_conda04, generate_matmas
from syncplatform.catalog.choices import SourceKind
from syncplatform.catalog.models import CatalogSource
from syncplatform.partners.models import ChannelConfig
from tests.catalog.publication_fixtures import shop_channel_config
from tests.connectors.sandbox_shop.shop_process import shop, shop_server  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def catalog_files_under_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def materials_source(erp):
    return CatalogSource.objects.create(
        partner=erp, code="erp-materials", kind=SourceKind.MATMAS05, chunk_size=7, accepts_push=True
    )


@pytest.fixture
def prices_source(erp):
    return CatalogSource.objects.create(
        partner=erp, code="erp-prices", kind=SourceKind.COND_A04, chunk_size=7, accepts_push=True
    )


@pytest.fixture
def listing_channel(channel, erp):
    """demo-web sells sales org 1000 / channel 10; new materials get SKU = material number."""
    return ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        new_materials_get_material_sku=True,
    )


@pytest.fixture
def matmas_file(tmp_path):
    """``matmas_file(name, count, **generator options)`` -> (path, GeneratedFile)."""

    def write(name: str, count: int, **options) -> tuple[Path, object]:
        path = tmp_path / name
        with path.open("wb") as out:
            generated = generate_matmas(out, count, seed=options.pop("seed", 1), **options)
        return path, generated

    return write


@pytest.fixture
def conda04_file(tmp_path):
    def write(name: str, count: int, **options) -> tuple[Path, object]:
        path = tmp_path / name
        with path.open("wb") as out:
            generated = generate_conda04(out, count, seed=options.pop("seed", 1), **options)
        return path, generated

    return write


@pytest.fixture
def config(channel, erp, shop, published):  # noqa: F811 - the imported fixture
    """The channel's config pointed at the sandbox shop."""
    return shop_channel_config(channel, erp, shop)
