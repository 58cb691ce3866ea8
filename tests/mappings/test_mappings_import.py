"""import_mappings / export_mappings: the CSV contract of DESIGN §9, row by row."""

from pathlib import Path

import pytest

from syncplatform.mappings.csvfiles import (
    BadMappingFile,
    ImportReport,
    export_mappings,
    import_mappings,
)
from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
HEADERS = {
    "sku": "channel,channel_sku,erp_material,erp_unit",
    "location": "channel,channel_location,erp_plant,erp_storage_location,warehouse",
    "customer": "channel,channel_customer_id,erp_sold_to",
    "code": "channel,code_type,channel_code,erp_code",
}
MODELS = {
    "sku": SkuMapping,
    "location": LocationMapping,
    "customer": CustomerMapping,
    "code": CodeMapping,
}


def csv_text(kind: str, *rows: str) -> str:
    return "\n".join([HEADERS[kind], *rows]) + "\n"


def counts(report: ImportReport) -> tuple:
    return report.added, report.changed, report.unchanged, report.refused


@pytest.mark.parametrize("kind", ["sku", "location", "customer", "code"])
def test_given_demo_file_when_imported_twice_then_added_once_and_unchanged_after(kind, partners):
    text = (DEMO / f"{kind}.csv").read_text()
    assert text.splitlines()[0] == HEADERS[kind]
    rows = len(text.strip().splitlines()) - 1

    first = import_mappings(kind, text)
    stored = list(MODELS[kind].objects.order_by("pk").values())
    second = import_mappings(kind, text)

    assert counts(first) == (rows, 0, 0, [])
    assert counts(second) == (0, 0, rows, [])
    assert list(MODELS[kind].objects.order_by("pk").values()) == stored


def test_given_sku_file_then_rows_are_stored_field_by_field(channel):
    report = import_mappings(
        "sku",
        csv_text("sku", "demo-web,TSHIRT-BLK-M,MAT-100200,EA", " demo-web , MUG , MAT-2 , PC "),
    )
    assert counts(report) == (2, 0, 0, [])
    assert list(
        SkuMapping.objects.order_by("pk").values_list(
            "channel__code", "channel_sku", "erp_material", "erp_unit", "is_active"
        )
    ) == [
        ("demo-web", "TSHIRT-BLK-M", "MAT-100200", "EA", True),
        ("demo-web", "MUG", "MAT-2", "PC", True),  # values are trimmed
    ]


def test_given_location_file_then_warehouse_is_optional_and_resolved_by_code(channel, warehouse):
    report = import_mappings(
        "location",
        csv_text("location", "demo-web,STORE-017,1000,0001,demo-3pl", "demo-web,STORE-018,1000,,"),
    )
    assert counts(report) == (2, 0, 0, [])
    assert list(
        LocationMapping.objects.order_by("pk").values_list(
            "channel_location", "erp_plant", "erp_storage_location", "warehouse"
        )
    ) == [("STORE-017", "1000", "0001", warehouse.pk), ("STORE-018", "1000", "", None)]


def test_given_customer_and_code_files_then_rows_are_stored(channel):
    import_mappings("customer", csv_text("customer", "demo-web,C-778,0000100778"))
    import_mappings(
        "code", csv_text("code", "demo-web,tax,TX-FOOD,F1", "demo-web,carrier,TX-FOOD,UPS")
    )
    assert CustomerMapping.objects.get().erp_sold_to == "0000100778"
    # The same channel code under two code types is two rows.
    assert set(CodeMapping.objects.values_list("code_type", "channel_code", "erp_code")) == {
        ("tax", "TX-FOOD", "F1"),
        ("carrier", "TX-FOOD", "UPS"),
    }


def test_given_existing_rows_when_file_changes_some_then_counts_added_changed_unchanged(
    channel, operator
):
    import_mappings("sku", csv_text("sku", "demo-web,A,MAT-A,EA", "demo-web,B,MAT-B,EA"))

    report = import_mappings(
        "sku",
        csv_text("sku", "demo-web,A,MAT-A,EA", "demo-web,B,MAT-B2,EA", "demo-web,C,MAT-C,EA"),
        user=operator,
    )

    assert counts(report) == (1, 1, 1, [])
    assert dict(SkuMapping.objects.values_list("channel_sku", "erp_material")) == {
        "A": "MAT-A",
        "B": "MAT-B2",
        "C": "MAT-C",
    }
    changed = SkuMapping.objects.get(channel_sku="B")
    latest = changed.history.first()
    assert (latest.history_type, latest.history_user, latest.erp_material) == (
        "~",
        operator,
        "MAT-B2",
    )
    assert latest.prev_record.erp_material == "MAT-B"


def test_given_bad_rows_then_each_refused_with_line_and_reason_and_good_rows_applied(
    partners,
):
    text = csv_text(
        "location",
        "demo-web,GOOD-1,1000,0001,demo-3pl",  # line 2
        "nope,S-1,1000,0001,",  # 3 unknown channel
        "demo-3pl,S-2,1000,0001,",  # 4 a warehouse is not a channel
        "demo-web,S-3,1000,0001,wh-x",  # 5 unknown warehouse
        "demo-web,S-4,1000,0001,pos",  # 6 a channel is not a warehouse
        "demo-web,S-5,,0001,",  # 7 empty required value
        "demo-web,S-6,10000000000,0001,",  # 8 erp_plant longer than 10
        "demo-web,GOOD-1,2000,0001,",  # 9 same key as line 2
        "demo-web,GOOD-2,1000,,",  # 10
    )

    report = import_mappings("location", text)

    assert (report.added, report.changed, report.unchanged) == (2, 0, 0)
    assert report.refused == [
        (3, "channel 'nope' is not a channel partner"),
        (4, "channel 'demo-3pl' is not a channel partner"),
        (5, "warehouse 'wh-x' is not a warehouse partner"),
        (6, "warehouse 'pos' is not a warehouse partner"),
        (7, "erp_plant is empty"),
        (8, "erp_plant is longer than 10 characters"),
        (9, "same key as line 2"),
    ]
    assert dict(LocationMapping.objects.values_list("channel_location", "erp_plant")) == {
        "GOOD-1": "1000",  # the duplicate on line 9 did not overwrite it
        "GOOD-2": "1000",
    }


def test_given_bad_code_type_or_empty_key_then_refused(channel):
    report = import_mappings(
        "code",
        csv_text(
            "code",
            "demo-web,vat,TX-1,V1",
            "demo-web,tax,,V1",
            ",tax,TX-2,V1",
            "demo-web,tax,TX-3,V3",
        ),
    )
    assert report.refused == [
        (2, "code_type 'vat' is not one of tax, unit, carrier, payment, shipping_method"),
        (3, "channel_code is empty"),
        (4, "channel is empty"),
    ]
    assert list(CodeMapping.objects.values_list("channel_code", flat=True)) == ["TX-3"]


@pytest.mark.parametrize(
    ("kind", "row", "reason"),
    [
        ("sku", f"demo-web,{'S' * 81},MAT-1,EA", "channel_sku is longer than 80 characters"),
        ("sku", f"demo-web,SKU-1,{'M' * 41},EA", "erp_material is longer than 40 characters"),
        ("sku", "demo-web,SKU-1,MAT-1,EACHES-LONG", "erp_unit is longer than 10 characters"),
        (
            "customer",
            f"demo-web,{'C' * 81},0001",
            "channel_customer_id is longer than 80 characters",
        ),
        ("customer", f"demo-web,C-1,{'9' * 21}", "erp_sold_to is longer than 20 characters"),
        ("code", f"demo-web,tax,{'T' * 41},A1", "channel_code is longer than 40 characters"),
        (
            "location",
            f"demo-web,{'L' * 41},1000,,",
            "channel_location is longer than 40 characters",
        ),
    ],
)
def test_given_value_too_long_for_its_column_then_that_row_is_refused_others_applied(
    kind, row, reason, channel
):
    good = {
        "sku": "demo-web,GOOD,MAT-G,EA",
        "customer": "demo-web,GOOD,0002",
        "code": "demo-web,tax,GOOD,G1",
        "location": "demo-web,GOOD,1000,,",
    }[kind]

    report = import_mappings(kind, csv_text(kind, row, good))

    assert counts(report) == (1, 0, 0, [(2, reason)])
    assert MODELS[kind].objects.count() == 1


@pytest.mark.parametrize(
    "text",
    [
        "channel,sku,material,unit\ndemo-web,A,MAT-A,EA\n",  # wrong names
        "channel,channel_sku,erp_material\ndemo-web,A,MAT-A\n",  # a column missing
        "channel,erp_material,channel_sku,erp_unit\ndemo-web,MAT-A,A,EA\n",  # wrong order
        "",  # empty file
    ],
)
def test_given_wrong_header_then_whole_file_refused_and_nothing_imported(text, channel):
    with pytest.raises(
        BadMappingFile, match="header must be channel,channel_sku,erp_material,erp_unit"
    ):
        import_mappings("sku", text)
    assert SkuMapping.objects.count() == 0


def test_given_byte_order_mark_and_crlf_then_the_file_is_read(channel):
    text = "\ufeff" + csv_text("sku", "demo-web,A,MAT-A,EA").replace("\n", "\r\n")
    assert counts(import_mappings("sku", text)) == (1, 0, 0, [])


def test_given_blank_lines_then_refusals_name_the_real_line_numbers(channel):
    text = csv_text("sku", "demo-web,A,MAT-A,EA", "", "demo-web,B,,EA", "", "", "nope,C,MAT-C,EA")

    report = import_mappings("sku", text)

    assert report.refused == [
        (4, "erp_material is empty"),
        (7, "channel 'nope' is not a channel partner"),
    ]


def test_given_quoted_field_with_newline_then_later_line_numbers_stay_right(channel):
    text = csv_text("sku", 'demo-web,"A\nB",MAT-A,EA', "demo-web,C,,EA")
    report = import_mappings("sku", text)
    assert report.refused == [(4, "erp_material is empty")]


@pytest.mark.parametrize("kind", ["sku", "location", "customer", "code"])
def test_given_stored_rows_when_exported_then_exactly_the_import_format_and_it_round_trips(
    kind, partners
):
    text = (DEMO / f"{kind}.csv").read_text()
    import_mappings(kind, text)

    exported = export_mappings(kind, MODELS[kind].objects.all())

    assert exported == text
    rows = len(exported.strip().splitlines()) - 1
    assert counts(import_mappings(kind, exported)) == (0, 0, rows, [])


def test_given_values_with_commas_and_quotes_when_exported_then_they_round_trip(channel):
    SkuMapping.objects.create(channel=channel, channel_sku='MUG, "big"', erp_material="MAT-9")

    exported = export_mappings("sku", SkuMapping.objects.all())

    assert exported == HEADERS["sku"] + '\ndemo-web,"MUG, ""big""",MAT-9,EA\n'
    assert counts(import_mappings("sku", exported)) == (0, 0, 1, [])
