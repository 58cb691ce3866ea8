"""Importing payout files: Shopify's export, a saved column mapping, repeats and bad rows."""

from datetime import date
from decimal import Decimal

import pytest

from syncplatform.settlements.choices import ImportStatus, SettlementKind
from syncplatform.settlements.models import SettlementFormat, SettlementImport, SettlementLine
from syncplatform.settlements.services import (
    BadSettlementFile,
    import_settlements,
    match_settlement_lines,
)
from syncplatform.settlements.services import imports as imports_module
from tests.settlements.conftest import make_order
from tests.settlements.payout_files import SHOPIFY_HEADER, shopify_file, shopify_row

LINE_FIELDS = ("line_number", "order_reference", "kind", "gross", "fee", "net", "currency")


def stored_lines() -> list[tuple]:
    return list(SettlementLine.objects.order_by("line_number").values_list(*LINE_FIELDS))


def test_a_shopify_export_becomes_lines_matched_to_orders_by_name(import_bytes, order_of):
    # given orders 1001 and 1002; the export names them #1001 and #1002
    first, second = order_of("1001"), order_of("1002")
    content = shopify_file(
        shopify_row("#1001"),
        shopify_row("#1002", amount="20.00", fee="0.88", net="19.12"),
        shopify_row("#1001", kind="refund", amount="-10.00", fee="0.00", net="-10.00"),
        shopify_row("", kind="adjustment", amount="-1.50", fee="0.00", net="-1.50"),
        shopify_row("#9999", amount="5.00", fee="0.45", net="4.55"),
    )

    # when
    report = import_bytes(content, name="payment_transactions_export_1.csv")

    # then every row is a line, with Decimal amounts and the file's own line numbers
    assert (report.accepted, report.matched, report.refused_count) == (5, 3, 0)
    assert stored_lines() == [
        (2, "#1001", "charge", Decimal("51.13"), Decimal("1.78"), Decimal("49.35"), "USD"),
        (3, "#1002", "charge", Decimal("20.00"), Decimal("0.88"), Decimal("19.12"), "USD"),
        (4, "#1001", "refund", Decimal("-10.00"), Decimal("0.00"), Decimal("-10.00"), "USD"),
        (5, "", "adjustment", Decimal("-1.50"), Decimal("0.00"), Decimal("-1.50"), "USD"),
        (6, "#9999", "charge", Decimal("5.00"), Decimal("0.45"), Decimal("4.55"), "USD"),
    ]
    orders = list(SettlementLine.objects.order_by("line_number").values_list("order", flat=True))
    assert orders == [first.pk, second.pk, first.pk, None, None]
    line = SettlementLine.objects.get(line_number=2)
    assert (line.payout_date, line.payout_id, line.provider_type) == (
        date(2026, 11, 25),
        "98765432101",
        "charge",
    )
    record = SettlementImport.objects.get()
    assert (record.status, record.file_format, record.file_name) == (
        ImportStatus.IMPORTED,
        "shopify_payments",
        "payment_transactions_export_1.csv",
    )
    assert (record.row_count, record.accepted_count, record.matched_count) == (5, 5, 3)
    assert record.size == len(content) and len(record.sha256) == 64


def test_extra_columns_other_order_and_header_case_are_read_by_name(import_bytes):
    header = "payout date,Currency,Net,Fee,Amount,Order,Type,Payout ID,VAT,Business Entity Name"
    content = shopify_file(
        "2026/11/3,EUR,36.80,1.10,37.90,#3703,charge,140769394954,0.00,Shop GmbH", header=header
    )

    import_bytes(content)

    line = SettlementLine.objects.get()
    assert (line.payout_date, line.currency, line.gross, line.fee, line.net) == (
        date(2026, 11, 3),
        "EUR",
        Decimal("37.90"),
        Decimal("1.10"),
        Decimal("36.80"),
    )


@pytest.mark.parametrize(
    ("shopify_type", "kind"),
    [
        ("charge", SettlementKind.CHARGE),
        ("refund", SettlementKind.REFUND),
        ("adjustment", SettlementKind.ADJUSTMENT),
        ("dispute", SettlementKind.DISPUTE),
        ("chargeback_won", SettlementKind.DISPUTE),
        ("shopify_collective_fee", SettlementKind.FEE),
        ("shipping_label", SettlementKind.FEE),
        ("payout", SettlementKind.PAYOUT),
        ("reserved_funds", SettlementKind.OTHER),
    ],
)
def test_shopify_types_become_our_kinds_and_the_type_is_kept(import_bytes, shopify_type, kind):
    import_bytes(shopify_file(shopify_row("#1", kind=shopify_type)))

    line = SettlementLine.objects.get()
    assert (line.kind, line.provider_type) == (kind, shopify_type)


def test_the_same_file_twice_is_a_no_op_reporting_the_first_import(import_bytes, order_of):
    order_of("1001")
    content = shopify_file(shopify_row("#1001"), shopify_row("#1002"))
    first = import_bytes(content)

    again = import_bytes(content, name="renamed.csv")

    assert again.duplicate_of == first.settlement_import
    assert (again.accepted, again.refused_count, again.settlement_import) == (0, 0, None)
    assert SettlementImport.objects.count() == 1
    assert SettlementLine.objects.count() == 2


def test_the_same_file_for_another_channel_is_its_own_import(import_bytes, shop):
    from syncplatform.partners.models import Partner

    other = Partner.objects.create(code="pos", name="POS", kind="channel")
    content = shopify_file(shopify_row("#1001"))
    import_bytes(content)

    report = import_bytes(content, channel=other)

    assert report.duplicate_of is None and report.accepted == 1
    assert SettlementLine.objects.filter(channel=other).count() == 1


BAD_ROWS = [
    (shopify_row("#1", amount="abc"), "Amount 'abc' is not an amount (decimal point expected)"),
    (shopify_row("#1", amount=""), "Amount is empty"),
    (shopify_row("#1", fee="1.005"), "Fee 1.005 has more than 2 decimal places"),
    (shopify_row("#1", net='"1,5"'), "Net '1,5' is not an amount (decimal point expected)"),
    (shopify_row("#1", amount="100000000000000"), "Amount 100000000000000 is too large"),
    (shopify_row("#1", currency="US"), "Currency 'US' is not a 3-letter ISO 4217 code"),
    (shopify_row("#1", currency=""), "Currency is empty"),
    (
        shopify_row("#1", payout_date="25.11.2026"),
        "Payout Date '25.11.2026' is not a date (%Y-%m-%d or %Y/%m/%d)",
    ),
    (shopify_row("#1", payout_date=""), "Payout Date is empty"),
    (shopify_row(""), "Order is empty (a charge must name its order)"),
    (shopify_row("#" + "9" * 80), "Order is longer than 80 characters"),
    (shopify_row("#1", payout_id="P" * 65), "Payout ID is longer than 64 characters"),
    (shopify_row("#1") + ",extra", "18 fields where the header has 17"),
    ("2026-11-23,charge,#1", "3 fields where the header has 17"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_a_bad_row_is_refused_with_its_line_and_reason_and_nothing_is_imported(
    import_bytes, row, reason
):
    content = shopify_file(shopify_row("#1"), row, shopify_row("#2"))

    report = import_bytes(content)

    assert report.refused == [(3, reason)]
    assert (report.accepted, report.refused_count) == (0, 1)
    assert SettlementLine.objects.count() == 0
    refused = SettlementImport.objects.get()
    assert refused.status == ImportStatus.REFUSED
    assert (refused.row_count, refused.accepted_count, refused.refused_count) == (3, 0, 1)
    assert refused.refused == [[3, reason]]


def test_every_bad_row_is_listed_and_a_fixed_file_imports_whole_once(import_bytes):
    # given a file with good rows around two bad ones (and a blank line, which is no row)
    good = [shopify_row(f"#{n}") for n in range(1, 4)]
    bad = shopify_file(
        good[0], shopify_row("#x", amount="1.2.3"), "", good[1], shopify_row("#y", currency="?")
    )
    report = import_bytes(bad)
    assert report.refused == [
        (3, "Amount '1.2.3' is not an amount (decimal point expected)"),
        (6, "Currency '?' is not a 3-letter ISO 4217 code"),
    ]
    # when the same bad file is tried again, it is refused again (not a "duplicate")
    assert import_bytes(bad).refused_count == 2

    # and when the fixed file comes, every row is imported exactly once
    fixed = import_bytes(shopify_file(*good))

    assert fixed.accepted == 3
    assert sorted(SettlementLine.objects.values_list("order_reference", flat=True)) == [
        "#1",
        "#2",
        "#3",
    ]
    assert list(SettlementImport.objects.order_by("pk").values_list("status", flat=True)) == [
        ImportStatus.REFUSED,
        ImportStatus.REFUSED,
        ImportStatus.IMPORTED,
    ]


def test_refusals_beyond_the_first_thousand_are_counted_not_listed(import_bytes):
    rows = [shopify_row("#1", amount="x")] * 1005

    report = import_bytes(shopify_file(*rows))

    assert report.refused_count == 1005
    assert len(report.refused) == 1000 and report.refused[-1][0] == 1001
    assert SettlementImport.objects.get().refused_count == 1005


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "the file is empty; expected a header row"),
        (
            shopify_file(shopify_row(), header=SHOPIFY_HEADER.replace(",Payout Date", ",Paid")),
            "the header has no column Payout Date; the shopify_payments format reads Order,"
            " Amount, Payout Date, Fee, Net, Currency, Payout ID, Type",
        ),
        (
            SHOPIFY_HEADER.encode() + b"\n" + shopify_row().encode("utf-16"),
            "the file is not UTF-8 text (invalid start byte)",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_and_leaves_no_trace(
    import_bytes, content, error
):
    with pytest.raises(BadSettlementFile) as refused:
        import_bytes(content)

    assert str(refused.value) == error
    assert SettlementImport.objects.count() == SettlementLine.objects.count() == 0


def test_a_large_file_is_inserted_in_chunks_with_progress(import_bytes, order_of, monkeypatch):
    monkeypatch.setattr(imports_module, "CHUNK_ROWS", 7)
    order_of("5")
    content = shopify_file(*(shopify_row(f"#{n}") for n in range(1, 31)))
    progress: list[int] = []

    report = import_bytes(content, on_progress=progress.append)

    assert report.accepted == 30 and report.matched == 1
    assert list(SettlementLine.objects.values_list("line_number", flat=True).order_by("pk")) == (
        list(range(2, 32))
    )
    assert len(progress) == 5 and progress[-1] == len(content)


def test_a_bad_row_after_the_first_chunk_rolls_the_chunks_back(import_bytes, monkeypatch):
    monkeypatch.setattr(imports_module, "CHUNK_ROWS", 5)
    rows = [shopify_row(f"#{n}") for n in range(1, 13)] + [shopify_row("#13", fee="x")]

    report = import_bytes(shopify_file(*rows))

    assert report.refused == [(14, "Fee 'x' is not an amount (decimal point expected)")]
    assert SettlementLine.objects.count() == 0


def test_a_saved_column_mapping_reads_another_providers_file(import_bytes, shop, order_of):
    # given a PayPal-like export: semicolons, decimal commas, day-first dates, no net column
    SettlementFormat.objects.create(
        channel=shop,
        name="paypal",
        order_reference_column="Invoice Number",
        gross_column="Gross",
        fee_column="Fee",
        currency_column="Currency",
        payout_date_column="Date",
        payout_id_column="Transaction ID",
        kind_column="Type",
        date_format="%d.%m.%Y",
        decimal_separator=",",
        delimiter=";",
    )
    order = order_of("WEB-100234")
    content = (
        b"Date;Time;Type;Invoice Number;Gross;Fee;Currency;Transaction ID\n"
        b"25.11.2026;10:15:00;Payment;WEB-100234;1.051,13;1,78;EUR;7TX0001\n"
        b"26.11.2026;11:00:00;Refund;WEB-100234;-10,00;0,00;EUR;7TX0002\n"
    )

    report = import_bytes(content)

    assert (report.accepted, report.matched) == (2, 2)
    assert SettlementImport.objects.get().file_format == "paypal"
    assert stored_lines() == [
        (2, "WEB-100234", "charge", Decimal("1051.13"), Decimal("1.78"), Decimal("1049.35"), "EUR"),
        (3, "WEB-100234", "refund", Decimal("-10.00"), Decimal("0.00"), Decimal("-10.00"), "EUR"),
    ]
    assert set(SettlementLine.objects.values_list("order", flat=True)) == {order.pk}
    assert SettlementLine.objects.get(line_number=2).payout_date == date(2026, 11, 25)


def test_a_mapping_without_kind_or_currency_columns_uses_sign_and_default(import_bytes, shop):
    SettlementFormat.objects.create(
        channel=shop,
        name="bank",
        order_reference_column="Ref",
        gross_column="Amount",
        payout_date_column="Value date",
        default_currency="GBP",
    )

    import_bytes(b"Ref,Amount,Value date\nA-1,12.00,2026-11-30\nA-1,-2.00,2026-12-01\n")

    assert [(k, n, c) for _, _, k, _, _, n, c in stored_lines()] == [
        ("charge", Decimal("12.00"), "GBP"),
        ("refund", Decimal("-2.00"), "GBP"),
    ]


def test_a_mapping_with_thousands_in_the_wrong_place_is_refused(import_bytes, shop):
    SettlementFormat.objects.create(
        channel=shop,
        name="eu",
        order_reference_column="Order",
        gross_column="Amount",
        payout_date_column="Date",
        default_currency="EUR",
        decimal_separator=",",
    )

    report = import_bytes(b'Order,Amount,Date\nA,"1.05,13",2026-11-30\n')

    assert report.refused == [(2, "Amount '1.05,13' is not an amount (decimal comma expected)")]


def test_lines_whose_order_arrives_later_are_linked_by_matching_again(import_bytes, shop):
    import_bytes(shopify_file(shopify_row("#2001"), shopify_row("#2002"), shopify_row("#2001")))
    assert SettlementLine.objects.filter(order__isnull=False).count() == 0
    order = make_order(shop, "2001")

    linked = match_settlement_lines(shop)

    assert linked == 2
    linked_lines = SettlementLine.objects.filter(order=order).values_list("line_number", flat=True)
    assert sorted(linked_lines) == [2, 4]
    assert match_settlement_lines(shop) == 0


def test_shopify_webhook_orders_are_matched_by_their_order_name(import_bytes, shop):
    # given orders as Shopify's webhooks store them: numbered by id, named "#1001"
    first = make_order(shop, "450789469", name="#1001")
    second = make_order(shop, "2998557704341", name="#1030")

    # when the payout export names them by name
    report = import_bytes(
        shopify_file(
            shopify_row("#1001"),
            shopify_row("#1030", amount="59.45", fee="2.02", net="57.43"),
            shopify_row("#1001", kind="refund", amount="-10.00", fee="0.00", net="-10.00"),
        )
    )

    # then every line is linked to the order of that name
    assert (report.accepted, report.matched) == (3, 3)
    orders = SettlementLine.objects.order_by("line_number").values_list("order", flat=True)
    assert list(orders) == [first.pk, second.pk, first.pk]


def test_a_reference_is_a_number_first_then_a_name_then_a_number_without_its_hash(
    import_bytes, shop
):
    # given order 1001 of a channel that sent "1001" as the number, and a Shopify order
    # named "#1001" (another shop's numbering behind the same channel)
    numbered = make_order(shop, "1001")
    named = make_order(shop, "450789469", name="#1001")
    named_like_a_number = make_order(shop, "77", name="1001")

    import_bytes(shopify_file(shopify_row("#1001"), shopify_row("1001"), shopify_row("#77")))

    orders = SettlementLine.objects.order_by("line_number").values_list("order", flat=True)
    # "#1001" is the name of one order; "1001" is the number of another (a number wins over
    # the name "1001"); "#77" is no number or name, so order 77 by its number without "#"
    assert list(orders) == [named.pk, numbered.pk, named_like_a_number.pk]


def test_a_name_two_orders_share_links_neither(import_bytes, shop):
    make_order(shop, "450789469", name="#1001")
    make_order(shop, "450789470", name="#1001")

    report = import_bytes(shopify_file(shopify_row("#1001")))

    assert report.matched == 0
    assert SettlementLine.objects.get().order_id is None


def test_a_line_whose_named_order_arrives_later_is_linked_by_matching_again(import_bytes, shop):
    import_bytes(shopify_file(shopify_row("#1030")))
    order = make_order(shop, "2998557704341", name="#1030")

    assert match_settlement_lines(shop) == 1
    assert SettlementLine.objects.get().order_id == order.pk


def test_the_import_records_who_uploaded_it(import_bytes, django_user_model):
    finance = django_user_model.objects.create_user("fin")

    import_bytes(shopify_file(shopify_row()), user=finance)

    assert SettlementImport.objects.get().imported_by == finance


def test_an_uploaded_file_object_is_read_as_a_stream(shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.csv", shopify_file(shopify_row("#7")), "text/csv")

    report = import_settlements(shop, upload, upload.name)

    assert report.accepted == 1
    assert SettlementLine.objects.get().order_reference == "#7"
