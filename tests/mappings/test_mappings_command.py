"""``manage.py import_mappings KIND FILE``: the operator's bulk load and its report."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


def run(*args) -> str:
    out = StringIO()
    call_command("import_mappings", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("sku", SkuMapping),
        ("location", LocationMapping),
        ("customer", CustomerMapping),
        ("code", CodeMapping),
    ],
)
def test_given_demo_file_when_imported_then_report_counts_and_second_run_changes_nothing(
    kind, model, partners
):
    file = DEMO / f"{kind}.csv"
    rows = len(file.read_text().strip().splitlines()) - 1
    assert rows >= 2

    first = run(kind, str(file))
    second = run(kind, str(file))

    assert first == f"{file}: {rows} added, 0 changed, 0 unchanged, 0 refused\n"
    assert second == f"{file}: 0 added, 0 changed, {rows} unchanged, 0 refused\n"
    assert model.objects.count() == rows


def test_given_refused_rows_then_each_is_printed_good_rows_kept_and_command_fails(
    channel, tmp_path
):
    file = tmp_path / "sku.csv"
    file.write_text(
        "channel,channel_sku,erp_material,erp_unit\n"
        "demo-web,A,MAT-A,EA\n"
        "demo-web,B,,EA\n"
        "erp-x,C,MAT-C,EA\n"
        "demo-web,A,MAT-A2,EA\n"
    )
    out = StringIO()

    with pytest.raises(CommandError, match=r"^3 row\(s\) refused$"):
        call_command("import_mappings", "sku", str(file), stdout=out)

    assert out.getvalue().splitlines() == [
        f"{file}: 1 added, 0 changed, 0 unchanged, 3 refused",
        "  line 3: refused: erp_material is empty",
        "  line 4: refused: channel 'erp-x' is not a channel partner",
        "  line 5: refused: same key as line 2",
    ]
    assert list(SkuMapping.objects.values_list("channel_sku", "erp_material")) == [("A", "MAT-A")]


def test_given_wrong_header_then_command_error_and_nothing_imported(channel, tmp_path):
    file = tmp_path / "customer.csv"
    file.write_text("channel,customer,sold_to\ndemo-web,C-1,0001\n")

    with pytest.raises(CommandError) as refused:
        run("customer", str(file))

    assert str(refused.value) == (
        f"{file}: header must be channel,channel_customer_id,erp_sold_to; "
        "got channel,customer,sold_to"
    )
    assert CustomerMapping.objects.count() == 0


def test_given_header_of_another_kind_then_refused(channel):
    with pytest.raises(CommandError, match="header must be channel,code_type"):
        run("code", str(DEMO / "sku.csv"))
    assert CodeMapping.objects.count() == 0


def test_given_missing_file_then_command_error_names_it(db, tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(CommandError, match=f"cannot read {missing}"):
        run("sku", str(missing))


def test_given_file_that_is_not_utf8_then_command_error(db, tmp_path):
    file = tmp_path / "latin1.csv"
    file.write_bytes(
        "channel,channel_sku,erp_material,erp_unit\ndemo-web,CAFÉ,M,EA\n".encode("latin-1")
    )
    with pytest.raises(CommandError, match=f"cannot read {file}"):
        run("sku", str(file))


def test_given_unknown_kind_then_the_parser_refuses(db):
    with pytest.raises(CommandError, match="invalid choice: 'price'"):
        run("price", str(DEMO / "sku.csv"))


def test_help_lists_every_kind_with_its_header():
    from syncplatform.mappings.management.commands.import_mappings import Command

    assert Command.help.endswith(
        "Headers: sku: channel,channel_sku,erp_material,erp_unit; "
        "location: channel,channel_location,erp_plant,erp_storage_location,warehouse; "
        "customer: channel,channel_customer_id,erp_sold_to; "
        "code: channel,code_type,channel_code,erp_code"
    )
