"""The admin as finance and operations use it: upload, imports, lines, and who sees what.

Users are put in the real ``finance`` and ``operations`` groups, so the
permissions tested are the ones the migrations grant.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from syncplatform.settlements.choices import ImportStatus
from syncplatform.settlements.models import SettlementFormat, SettlementImport, SettlementLine
from tests.settlements.payout_files import shopify_file, shopify_row

UPLOAD = reverse("admin:settlements_settlementimport_add")
IMPORTS = reverse("admin:settlements_settlementimport_changelist")
LINES = reverse("admin:settlements_settlementline_changelist")
FORMATS = reverse("admin:settlements_settlementformat_changelist")


def member_of(group: str) -> User:
    user = User.objects.create_user(f"{group}-user", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def finance_client(client, db):
    client.force_login(member_of("finance"))
    return client


@pytest.fixture
def operations_client(client, db):
    client.force_login(member_of("operations"))
    return client


def upload(client, channel, content: bytes, name: str = "payouts.csv"):
    return client.post(
        UPLOAD,
        {"channel": channel.pk, "file": SimpleUploadedFile(name, content, "text/csv")},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_finance_uploads_a_file_and_lands_on_its_import(finance_client, shop, order_of):
    order_of("1001")

    response = upload(finance_client, shop, shopify_file(shopify_row("#1001"), shopify_row("#2")))

    record = SettlementImport.objects.get()
    assert response.redirect_chain == [
        (reverse("admin:settlements_settlementimport_change", args=[record.pk]), 302)
    ]
    assert messages_of(response) == ["payouts.csv: 2 lines imported, 1 matched to orders."]
    assert record.imported_by.username == "finance-user"
    assert SettlementLine.objects.count() == 2
    assert b"2 lines</a>" in response.content


def test_the_upload_page_offers_channels_only(finance_client, shop):
    from syncplatform.partners.models import Partner

    Partner.objects.create(code="demo-erp", name="ERP", kind="erp")

    page = finance_client.get(UPLOAD)

    assert page.status_code == 200
    choices = [label for _, label in page.context["form"].fields["channel"].choices]
    assert [str(label) for label in choices[1:]] == [str(shop)]


def test_uploading_the_same_file_twice_warns_and_points_to_the_first(finance_client, shop):
    content = shopify_file(shopify_row("#1001"))
    upload(finance_client, shop, content)
    first = SettlementImport.objects.get()

    response = upload(finance_client, shop, content, name="again.csv")

    assert response.redirect_chain[-1][0] == reverse(
        "admin:settlements_settlementimport_change", args=[first.pk]
    )
    assert messages_of(response) == [
        f"again.csv was already imported on {first.created_at:%Y-%m-%d %H:%M}"
        f" (import #{first.pk}); nothing changed."
    ]
    assert SettlementImport.objects.count() == 1 and SettlementLine.objects.count() == 1


def test_a_file_with_bad_rows_shows_every_reason_and_imports_nothing(finance_client, shop):
    content = shopify_file(
        shopify_row("#1"), shopify_row("#2", currency="dollars"), shopify_row("#3", fee="")
    )

    response = upload(finance_client, shop, content)

    refused = SettlementImport.objects.get()
    assert refused.status == ImportStatus.REFUSED
    assert messages_of(response) == [
        "payouts.csv: 2 row(s) refused, so nothing was imported; the reasons are listed below."
        " Fix them and upload the whole file again."
    ]
    page = response.content.decode()
    assert "line 3: refused: Currency &#x27;dollars&#x27; is not a 3-letter ISO 4217 code" in page
    assert "line 4: refused: Fee is empty" in page
    assert SettlementLine.objects.count() == 0


def test_a_file_that_is_not_a_payout_export_is_refused_on_the_form(finance_client, shop):
    response = upload(finance_client, shop, b"just,some\ntext,here\n")

    assert response.redirect_chain == [(UPLOAD, 302)]
    assert messages_of(response)[0].startswith(
        "payouts.csv: the header has no column Order, Amount, Payout Date"
    )
    assert SettlementImport.objects.count() == 0


def test_an_upload_without_a_file_is_sent_back_with_the_field_error(finance_client, shop):
    response = finance_client.post(UPLOAD, {"channel": shop.pk})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}


def test_finance_sees_lines_with_amounts_and_can_save_a_format(finance_client, shop):
    upload(finance_client, shop, shopify_file(shopify_row("#1001", amount="77.70", net="75.92")))

    lines = finance_client.get(LINES)
    add_format = finance_client.post(
        reverse("admin:settlements_settlementformat_add"),
        {
            "channel": shop.pk,
            "name": "paypal",
            "order_reference_column": "Invoice Number",
            "gross_column": "Gross",
            "payout_date_column": "Date",
            "currency_column": "Currency",
            "date_format": "%d.%m.%Y",
            "decimal_separator": ",",
            "delimiter": ";",
        },
    )

    assert lines.status_code == 200 and "77.70" in lines.content.decode()
    assert add_format.status_code == 302
    assert SettlementFormat.objects.get().name == "paypal"


def test_a_format_needs_a_currency_column_or_a_default(finance_client, shop):
    response = finance_client.post(
        reverse("admin:settlements_settlementformat_add"),
        {
            "channel": shop.pk,
            "name": "bank",
            "order_reference_column": "Ref",
            "gross_column": "Amount",
            "payout_date_column": "Date",
            "date_format": "%Y-%m-%d",
            "decimal_separator": ".",
            "delimiter": ",",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["default_currency"] == [
        "Name a currency column or give a default currency."
    ]


def test_operations_see_imports_but_not_the_lines_and_cannot_upload(client, shop):
    # given finance imported a file
    finance = Client()
    finance.force_login(member_of("finance"))
    upload(finance, shop, shopify_file(shopify_row("#1001")))
    record = SettlementImport.objects.get()
    operations_client = client
    operations_client.force_login(member_of("operations"))

    # then operations read the import, but no line and no amount
    assert operations_client.get(IMPORTS).status_code == 200
    page = operations_client.get(
        reverse("admin:settlements_settlementimport_change", args=[record.pk])
    )
    assert page.status_code == 200
    assert operations_client.get(LINES).status_code == 403
    line = SettlementLine.objects.get()
    line_page = reverse("admin:settlements_settlementline_change", args=[line.pk])
    assert operations_client.get(line_page).status_code == 403
    assert operations_client.get(UPLOAD).status_code == 403
    refused_upload = operations_client.post(
        UPLOAD, {"channel": shop.pk, "file": SimpleUploadedFile("x.csv", b"Order\n")}
    )
    assert refused_upload.status_code == 403
    assert SettlementImport.objects.count() == 1


@pytest.mark.parametrize(
    ("group", "allowed"),
    [
        (
            "finance",
            {
                "settlements.add_settlementimport",
                "settlements.view_settlementimport",
                "settlements.add_settlementline",
                "settlements.view_settlementline",
                "settlements.add_settlementformat",
                "settlements.change_settlementformat",
                "settlements.view_settlementformat",
            },
        ),
        ("operations", {"settlements.view_settlementimport", "settlements.view_settlementformat"}),
    ],
)
def test_the_groups_hold_exactly_these_settlement_permissions(db, group, allowed):
    user = member_of(group)

    held = {perm for perm in user.get_all_permissions() if perm.startswith("settlements.")}

    assert held == allowed


def test_nobody_but_a_superuser_deletes_an_import_and_nobody_edits_one(finance_client, shop):
    upload(finance_client, shop, shopify_file(shopify_row("#1001")))
    record = SettlementImport.objects.get()

    delete = finance_client.get(
        reverse("admin:settlements_settlementimport_delete", args=[record.pk])
    )
    change = finance_client.post(
        reverse("admin:settlements_settlementimport_change", args=[record.pk]),
        {"file_name": "other.csv"},
    )

    assert delete.status_code == 403
    assert change.status_code == 403
    record.refresh_from_db()
    assert record.file_name == "payouts.csv"


def test_finance_links_lines_whose_order_came_later_with_the_action(finance_client, shop):
    from tests.settlements.conftest import make_order

    upload(finance_client, shop, shopify_file(shopify_row("#3001"), shopify_row("#3002")))
    order = make_order(shop, "3001")

    response = finance_client.post(
        IMPORTS,
        {
            "action": "link_lines_to_orders",
            "_selected_action": [SettlementImport.objects.get().pk],
        },
        follow=True,
    )

    assert messages_of(response) == ["demo-web: 1 line(s) linked to orders."]
    assert SettlementLine.objects.get(order_reference="#3001").order == order
    assert SettlementLine.objects.get(order_reference="#3002").order is None


def test_operations_are_not_offered_the_link_action(operations_client, import_bytes):
    import_bytes(shopify_file(shopify_row("#3001")))

    page = operations_client.get(IMPORTS).content.decode()

    assert "payouts.csv" in page  # the import is listed
    assert "link_lines_to_orders" not in page


def test_finance_is_offered_the_link_action(finance_client, import_bytes):
    import_bytes(shopify_file(shopify_row("#3001")))

    assert "link_lines_to_orders" in finance_client.get(IMPORTS).content.decode()
