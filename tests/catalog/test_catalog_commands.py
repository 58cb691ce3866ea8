"""manage.py load_catalog and load_demo_catalog."""

import io

import pytest
from django.core.management import CommandError, call_command

from connectors.idoc.catalog_files import BadRow
from syncplatform.catalog.models import CatalogLoad, CatalogSource, Listing, Price, Product
from syncplatform.partners.models import ChannelConfig

pytestmark = pytest.mark.django_db(transaction=True)


def test_load_catalog_prints_the_summary_and_finds_the_source_by_type(
    materials_source, matmas_file
):
    path, _ = matmas_file("m.xml", 10)
    out, err = io.StringIO(), io.StringIO()

    call_command("load_catalog", str(path), stdout=out, stderr=err)

    load = CatalogLoad.objects.get()
    assert out.getvalue().strip() == (
        f"load #{load.pk} succeeded: read 10, added 10, changed 0, unchanged 0, deleted 0, "
        "refused 0; 0 listing(s) to publish"
    )
    assert load.origin == "command" and Product.objects.count() == 10


def test_load_catalog_exits_1_when_rows_were_refused(materials_source, matmas_file):
    path, _ = matmas_file("m.xml", 10, bad_rows={4: BadRow.BAD_EAN})
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("load_catalog", str(path), "--source", "erp-materials", stdout=out)

    assert exit_.value.code == 1
    assert "refused 1" in out.getvalue()


def test_load_catalog_names_the_sources_when_it_cannot_choose(
    materials_source, prices_source, tmp_path
):
    path = tmp_path / "odd.xml"
    path.write_bytes(b"<?xml version='1.0'?><DELVRY07/>")

    with pytest.raises(CommandError, match="holds DELVRY07; name the source with --source"):
        call_command("load_catalog", str(path))
    with pytest.raises(CommandError, match="no catalog source 'nope'"):
        call_command("load_catalog", str(path), "--source", "nope")


def test_the_demo_catalog_is_loaded_once(erp, channel):
    ChannelConfig.objects.create(partner=channel, erp=erp)
    out = io.StringIO()

    call_command("load_demo_catalog", stdout=out)
    call_command("load_demo_catalog", stdout=out)

    assert set(CatalogSource.objects.values_list("code", flat=True)) == {
        "demo-erp-matmas05",
        "demo-erp-conda04",
    }
    assert Product.objects.count() == 40 and Price.objects.exists()
    assert Listing.objects.filter(channel=channel, is_listed=True).exists()
    assert CatalogLoad.objects.count() == 2
    assert out.getvalue().count("already loaded") == 2
