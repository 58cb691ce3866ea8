"""A SKU mapping added, edited (import_mappings) or deleted recomputes and publishes its SKUs."""

import pytest

from syncplatform.availability.choices import RecomputeCause
from syncplatform.availability.models import RecomputeChunk, StaleAvailability
from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.mappings.models import SkuMapping
from tests.availability.conftest import figures
from tests.availability.test_availability_recompute import report
from tests.availability.test_availability_recompute import shop as shop


@pytest.fixture
def reported(config, settle, shop):
    """demo-3pl reported 10 T-shirts (MAT-100200) and 4 hoodies (MAT-100310); the shop has them."""
    settle(report, config, 801, "20261123", [("MAT-100200", "9", "10"), ("MAT-100310", "9", "4")])
    assert shop[("TSHIRT-BLK-M", "STORE-017")] == 10
    assert shop[("HOODIE-GRY-M", "STORE-017")] == 4
    return shop


def test_a_mapping_moved_to_another_material_by_import_publishes_that_stock(
    reported, settle, channel
):
    # when the T-shirt SKU is mapped to the hoodie material by a CSV import
    text = f"channel,channel_sku,erp_material,erp_unit\n{channel.code},TSHIRT-BLK-M,MAT-100310,EA\n"
    report_of_import = settle(import_mappings, "sku", text)

    # then its figure at both locations demo-3pl serves is the hoodies', and the shop has it
    assert report_of_import.changed == 1
    assert figures("TSHIRT-BLK-M")["available"] == 4
    assert figures("TSHIRT-BLK-M", "WEB-DC")["available"] == 4
    assert reported[("TSHIRT-BLK-M", "STORE-017")] == 4
    assert reported[("TSHIRT-BLK-M", "WEB-DC")] == 4
    # recomputed as a mapping change, from marks the collector took
    causes = set(RecomputeChunk.objects.values_list("cause", flat=True))
    assert RecomputeCause.MAPPING in causes
    assert not StaleAvailability.objects.exists()


def test_a_new_mapping_publishes_its_sku(reported, settle, channel):
    # when a mapping for a new SKU of a reported material is added (as the admin saves it)
    settle(
        SkuMapping.objects.create,
        channel=channel,
        channel_sku="TSHIRT-BLK-M-2",
        erp_material="MAT-100200",
        erp_unit="EA",
    )

    # then the new SKU has the material's stock, published
    assert figures("TSHIRT-BLK-M-2")["available"] == 10
    assert reported[("TSHIRT-BLK-M-2", "STORE-017")] == 10


def test_a_deleted_mapping_publishes_zero(reported, settle, channel):
    # when the hoodie's mapping is deleted
    mapping = SkuMapping.objects.get(channel=channel, channel_sku="HOODIE-GRY-M")
    settle(mapping.delete)

    # then its SKU sells nothing any more, and the shop is told
    assert figures("HOODIE-GRY-M")["available"] == 0
    assert reported[("HOODIE-GRY-M", "STORE-017")] == 0
    assert reported[("HOODIE-GRY-M", "WEB-DC")] == 0


def test_a_renamed_sku_zeroes_the_old_name_and_publishes_the_new(reported, settle, channel):
    # when the T-shirt's channel SKU is renamed
    mapping = SkuMapping.objects.get(channel=channel, channel_sku="TSHIRT-BLK-M")
    mapping.channel_sku = "TSHIRT-BLACK-M"
    settle(mapping.save)

    # then the old SKU is 0 and the new one has the stock, both published
    assert figures("TSHIRT-BLK-M")["available"] == 0
    assert figures("TSHIRT-BLACK-M")["available"] == 10
    assert reported[("TSHIRT-BLK-M", "STORE-017")] == 0
    assert reported[("TSHIRT-BLACK-M", "STORE-017")] == 10


def test_an_unchanged_save_changes_no_figure_and_publishes_nothing(reported, settle, channel):
    # given what the shop was sent so far
    calls = len(reported.calls)

    # when a mapping is saved without a change
    settle(SkuMapping.objects.get(channel=channel, channel_sku="TSHIRT-BLK-M").save)

    # then nothing new was sent
    assert len(reported.calls) == calls
    assert figures("TSHIRT-BLK-M")["available"] == 10
