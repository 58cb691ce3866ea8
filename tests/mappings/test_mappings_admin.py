"""Mapping admin: operations edit rows (history keeps who and what), export in import format."""

from pathlib import Path

import pytest
from django.urls import reverse

from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
MODELS = {
    "sku": SkuMapping,
    "location": LocationMapping,
    "customer": CustomerMapping,
    "code": CodeMapping,
}


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


def sku_form(mapping: SkuMapping, **changes) -> dict:
    data = {
        "channel": mapping.channel_id,
        "channel_sku": mapping.channel_sku,
        "erp_material": mapping.erp_material,
        "erp_unit": mapping.erp_unit,
        "is_active": "on",
        "valid_from": "",
        "valid_to": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_given_operator_when_changing_a_mapping_in_admin_then_history_keeps_user_and_old_value(
    ops_client, operator, channel
):
    import_mappings("sku", (DEMO / "sku.csv").read_text())
    mapping = SkuMapping.objects.get(channel_sku="TSHIRT-BLK-M")
    url = reverse("admin:mappings_skumapping_change", args=[mapping.pk])

    response = ops_client.post(url, sku_form(mapping, erp_material="MAT-999999"))

    assert response.status_code == 302, response.content.decode()[:2000]
    mapping.refresh_from_db()
    assert mapping.erp_material == "MAT-999999"
    latest, previous = mapping.history.all()[:2]
    assert (latest.history_type, latest.history_user, latest.erp_material) == (
        "~",
        operator,
        "MAT-999999",
    )
    assert (previous.history_type, previous.history_user, previous.erp_material) == (
        "+",
        None,  # created by the import, run without a user
        "MAT-100200",
    )
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("erp_material", "MAT-100200", "MAT-999999")
    ]

    history_page = ops_client.get(reverse("admin:mappings_skumapping_history", args=[mapping.pk]))
    assert history_page.status_code == 200
    assert "ops" in history_page.content.decode()


def test_given_operator_when_adding_a_mapping_in_admin_then_created_with_history(
    ops_client, operator, channel
):
    response = ops_client.post(
        reverse("admin:mappings_customermapping_add"),
        {
            "channel": channel.pk,
            "channel_customer_id": "C-900",
            "erp_sold_to": "0000100900",
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    created = CustomerMapping.objects.get(channel_customer_id="C-900")
    assert created.history.get().history_user == operator


def test_given_mapping_form_then_only_channel_partners_can_be_chosen(
    ops_client, channel, warehouse, erp
):
    page = ops_client.get(reverse("admin:mappings_skumapping_add"))
    choices = [value for value, _ in page.context["adminform"].form.fields["channel"].choices]
    assert [int(str(v)) for v in choices if v] == [channel.pk]

    response = ops_client.post(
        reverse("admin:mappings_skumapping_add"),
        {"channel": warehouse.pk, "channel_sku": "X", "erp_material": "M", "erp_unit": "EA"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "channel" in response.context["adminform"].form.errors
    assert SkuMapping.objects.count() == 0


@pytest.mark.parametrize("kind", ["sku", "location", "customer", "code"])
def test_given_rows_when_export_action_then_csv_in_import_format_that_round_trips(
    kind, ops_client, partners
):
    text = (DEMO / f"{kind}.csv").read_text()
    import_mappings(kind, text)
    model = MODELS[kind]
    changelist = reverse(f"admin:mappings_{model._meta.model_name}_changelist")

    response = ops_client.post(
        changelist,
        {
            "action": "export_csv",
            "_selected_action": list(model.objects.values_list("pk", flat=True)),
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="{kind}.csv"'
    exported = response.content.decode()
    assert exported == text
    rows = model.objects.count()
    report = import_mappings(kind, exported)
    assert (report.added, report.changed, report.unchanged, report.refused) == (0, 0, rows, [])


def test_given_a_selection_when_exported_then_only_the_selected_rows_are_written(
    ops_client, partners
):
    import_mappings("sku", (DEMO / "sku.csv").read_text())
    chosen = SkuMapping.objects.get(channel_sku="HOODIE-GRY-M")

    response = ops_client.post(
        reverse("admin:mappings_skumapping_changelist"),
        {"action": "export_csv", "_selected_action": [chosen.pk]},
    )

    assert response.content.decode() == (
        "channel,channel_sku,erp_material,erp_unit\ndemo-web,HOODIE-GRY-M,MAT-100310,EA\n"
    )
