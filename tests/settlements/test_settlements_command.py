"""manage.py import_settlements CHANNEL FILE: the summary, the refusals, the exit status."""

import pytest
from django.core.management import CommandError, call_command

from syncplatform.settlements.models import SettlementImport, SettlementLine
from tests.settlements.payout_files import shopify_file, shopify_row


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_settlements", *args, stdout=out)
    return out.getvalue()


def test_a_good_file_prints_what_was_imported_and_matched(shop, order_of, tmp_path):
    order_of("1001")
    path = tmp_path / "payouts.csv"
    path.write_bytes(shopify_file(shopify_row("#1001"), shopify_row("#1002")))

    output = run("demo-web", str(path))

    assert output == f"{path}: 2 imported, 1 matched to orders, 0 refused\n"
    assert SettlementLine.objects.count() == 2


def test_the_same_file_again_says_so_and_changes_nothing(shop, tmp_path):
    path = tmp_path / "payouts.csv"
    path.write_bytes(shopify_file(shopify_row("#1001")))
    run("demo-web", str(path))
    first = SettlementImport.objects.get()

    output = run("demo-web", str(path))

    assert output == (
        f"{path}: already imported on {first.created_at:%Y-%m-%d %H:%M} as import"
        f" #{first.pk} (1 lines); nothing changed\n"
    )
    assert SettlementLine.objects.count() == 1


def test_bad_rows_are_listed_by_line_and_the_command_fails(shop, tmp_path, capsys):
    path = tmp_path / "payouts.csv"
    path.write_bytes(
        shopify_file(shopify_row("#1"), shopify_row("#2", amount="n/a"), shopify_row(""))
    )
    from io import StringIO

    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_settlements", "demo-web", str(path), stdout=out)

    assert out.getvalue() == (
        f"{path}: 0 imported, 0 matched to orders, 2 refused\n"
        "  line 3: refused: Amount 'n/a' is not an amount (decimal point expected)\n"
        "  line 4: refused: Order is empty (a charge must name its order)\n"
    )
    assert str(failed.value) == (
        "2 row(s) refused; nothing was imported: fix them and import the whole file again"
    )
    assert SettlementLine.objects.count() == 0


@pytest.mark.parametrize(
    ("channel", "file_name", "error"),
    [
        ("nope", "payouts.csv", "'nope' is not a channel partner"),
        ("demo-web", "missing.csv", "cannot read {path}: [Errno 2] No such file or directory"),
        ("demo-web", "empty.csv", "{path}: the file is empty; expected a header row"),
    ],
)
def test_a_wrong_channel_or_unreadable_file_fails_with_a_clear_message(
    shop, tmp_path, channel, file_name, error
):
    (tmp_path / "payouts.csv").write_bytes(shopify_file(shopify_row()))
    (tmp_path / "empty.csv").write_bytes(b"")
    path = tmp_path / file_name

    with pytest.raises(CommandError) as failed:
        run(channel, str(path))

    assert str(failed.value).startswith(error.format(path=path))
    assert SettlementImport.objects.count() == 0
