"""The sandbox shop over HTTP: Shopify's request and answer shapes, user errors, auth, faults."""

from tests.connectors.sandbox_shop.shop_process import TOKEN

PRODUCT_SET = """
mutation Create($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id title variants(first: 10) { nodes { id sku barcode price inventoryItem { id } } } }
    userErrors { field message code }
  }
}"""
BULK_UPDATE = """
mutation Update($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id sku barcode price }
    userErrors { field message code }
  }
}"""
SET_QUANTITIES = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup {
      reason referenceDocumentUri changes { name delta quantityAfterChange }
    }
    userErrors { field message code }
  }
}"""
LOCATIONS = "{ locations(first: 10) { nodes { id name } } }"


def product_input(sku="TSHIRT-BLK-M", price="19.99", barcode="4006381333931", title="T-shirt"):
    return {
        "title": title,
        "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
        "variants": [
            {
                "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                "sku": sku,
                "barcode": barcode,
                "price": price,
                "inventoryItem": {"tracked": True},
            }
        ],
    }


def create(shop, **fields) -> dict:
    answer = shop.graphql(PRODUCT_SET, {"input": product_input(**fields)}).json()
    return answer["data"]["productSet"]


def location_id(shop, name: str) -> str:
    nodes = shop.graphql(LOCATIONS).json()["data"]["locations"]["nodes"]
    return next(n["id"] for n in nodes if n["name"] == name)


def test_product_set_creates_a_product_and_answers_its_ids_and_cost(shop):
    # when
    response = shop.graphql(PRODUCT_SET, {"input": product_input()})

    # then
    assert response.status_code == 200
    answer = response.json()
    payload = answer["data"]["productSet"]
    assert payload["userErrors"] == []
    product = payload["product"]
    assert product["id"].startswith("gid://shopify/Product/")
    (variant,) = product["variants"]["nodes"]
    assert variant["id"].startswith("gid://shopify/ProductVariant/")
    assert variant["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/")
    assert (variant["sku"], variant["barcode"], variant["price"]) == (
        "TSHIRT-BLK-M",
        "4006381333931",
        "19.99",
    )
    cost = answer["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 10
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    assert shop.records()["created_by_sku"] == {"TSHIRT-BLK-M": 1}


def test_product_set_with_user_errors_names_each_field_and_keeps_nothing(shop):
    # when
    answer = shop.graphql(PRODUCT_SET, {"input": product_input(title=" ", price="-1.00")}).json()

    # then
    payload = answer["data"]["productSet"]
    assert payload["product"] is None
    assert payload["userErrors"] == [
        {"field": ["input", "title"], "message": "Title can't be blank", "code": "BLANK"},
        {
            "field": ["input", "variants", "0", "price"],
            "message": "Price must be greater than or equal to 0",
            "code": "INVALID_VARIANT",
        },
    ]
    assert shop.records()["products"] == []


def test_product_set_by_id_updates_the_same_variant(shop):
    # given
    created = create(shop)
    variant_id = created["product"]["variants"]["nodes"][0]["id"]
    data = product_input(price="24.99")
    data["id"] = created["product"]["id"]
    data["variants"][0]["id"] = variant_id

    # when
    updated = shop.graphql(PRODUCT_SET, {"input": data}).json()["data"]["productSet"]

    # then
    assert updated["product"]["variants"]["nodes"][0]["id"] == variant_id
    assert updated["product"]["variants"]["nodes"][0]["price"] == "24.99"
    assert len(shop.variants()) == 1


def test_variants_bulk_update_changes_price_barcode_and_sku(shop):
    # given
    product = create(shop)["product"]
    variant_id = product["variants"]["nodes"][0]["id"]

    # when
    payload = shop.graphql(
        BULK_UPDATE,
        {
            "productId": product["id"],
            "variants": [
                {
                    "id": variant_id,
                    "price": "17.50",
                    "barcode": "5012345678900",
                    "inventoryItem": {"sku": "TSHIRT-BLACK-M"},
                }
            ],
        },
    ).json()["data"]["productVariantsBulkUpdate"]

    # then
    assert payload["userErrors"] == []
    assert payload["productVariants"] == [
        {"id": variant_id, "sku": "TSHIRT-BLACK-M", "barcode": "5012345678900", "price": "17.50"}
    ]
    (stored,) = shop.variants()
    assert (stored["sku"], stored["price"]) == ("TSHIRT-BLACK-M", "17.50")


def test_variants_bulk_update_of_an_unknown_variant_changes_nothing(shop):
    # given
    product = create(shop)["product"]
    variant_id = product["variants"]["nodes"][0]["id"]

    # when
    payload = shop.graphql(
        BULK_UPDATE,
        {
            "productId": product["id"],
            "variants": [
                {"id": variant_id, "price": "1.00"},
                {"id": "gid://shopify/ProductVariant/1", "price": "2.00"},
            ],
        },
    ).json()["data"]["productVariantsBulkUpdate"]

    # then
    assert payload["productVariants"] is None
    assert payload["userErrors"] == [
        {
            "field": ["variants", "1", "id"],
            "message": "Product variant does not exist",
            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
        }
    ]
    assert shop.variants()[0]["price"] == "19.99"


def test_inventory_set_quantities_needs_change_from_quantity_from_2026_04(shop):
    # given
    item = create(shop)["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    location = location_id(shop, "WEB-DC")
    quantity = {"inventoryItemId": item, "locationId": location, "quantity": 7}
    base = {"name": "available", "reason": "correction", "referenceDocumentUri": "gid://sync/X/1"}

    # when: omitted, then null (no compare), then a stale compare
    omitted = shop.graphql(SET_QUANTITIES, {"input": {**base, "quantities": [quantity]}})
    as_null = shop.graphql(
        SET_QUANTITIES,
        {"input": {**base, "quantities": [{**quantity, "changeFromQuantity": None}]}},
    )
    stale = shop.graphql(
        SET_QUANTITIES,
        {"input": {**base, "quantities": [{**quantity, "quantity": 9, "changeFromQuantity": 3}]}},
    )

    # then
    omitted_errors = omitted.json()["data"]["inventorySetQuantities"]["userErrors"]
    assert omitted_errors[0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    group = as_null.json()["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert group["reason"] == "correction"
    assert group["referenceDocumentUri"] == "gid://sync/X/1"
    assert {"name": "available", "delta": 7, "quantityAfterChange": 7} in group["changes"]
    stale_errors = stale.json()["data"]["inventorySetQuantities"]["userErrors"]
    assert stale_errors[0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert shop.variants()[0]["quantities"]["WEB-DC"]["available"] == 7


def test_inventory_set_quantities_before_2026_04_takes_ignore_compare_quantity(shop):
    # given
    item = create(shop)["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    location = location_id(shop, "STORE-017")
    base = {
        "name": "available",
        "reason": "correction",
        "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": 4}],
    }

    # when
    required = shop.graphql(SET_QUANTITIES, {"input": base}, version="2025-10")
    ignored = shop.graphql(
        SET_QUANTITIES, {"input": {**base, "ignoreCompareQuantity": True}}, version="2025-10"
    )
    newer_field = shop.graphql(
        SET_QUANTITIES, {"input": {**base, "ignoreCompareQuantity": True}}, version="2026-10"
    )

    # then
    errors = required.json()["data"]["inventorySetQuantities"]["userErrors"]
    assert errors[0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    assert ignored.json()["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shop.variants()[0]["quantities"]["STORE-017"]["available"] == 4
    # 2026-04 removed ignoreCompareQuantity: GraphQL validation refuses the request
    assert "ignoreCompareQuantity" in newer_field.json()["errors"][0]["message"]


def test_inventory_set_quantities_refuses_an_unknown_item_and_sets_nothing(shop):
    # given
    item = create(shop)["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    location = location_id(shop, "WEB-DC")
    quantities = [
        {
            "inventoryItemId": item,
            "locationId": location,
            "quantity": 5,
            "changeFromQuantity": None,
        },
        {
            "inventoryItemId": "gid://shopify/InventoryItem/12",
            "locationId": location,
            "quantity": 5,
            "changeFromQuantity": None,
        },
    ]

    # when
    answer = shop.graphql(
        SET_QUANTITIES,
        {"input": {"name": "available", "reason": "correction", "quantities": quantities}},
    ).json()

    # then
    errors = answer["data"]["inventorySetQuantities"]["userErrors"]
    assert errors == [
        {
            "field": ["input", "quantities", "1", "inventoryItemId"],
            "message": "The specified inventory item could not be found.",
            "code": "INVALID_INVENTORY_ITEM",
        }
    ]
    assert shop.variants()[0]["quantities"] == {}


def test_an_empty_bucket_answers_throttled_and_does_nothing(shop):
    # given: a bucket of 25 points that refills one point a second
    shop.configure(throttle={"maximum": 25.0, "restore_rate": 1.0})
    create(shop, sku="A")
    create(shop, sku="B")

    # when
    answer = shop.graphql(PRODUCT_SET, {"input": product_input(sku="C")}).json()

    # then
    assert answer["errors"][0]["message"] == "Throttled"
    assert answer["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in answer
    cost = answer["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (10, None)
    assert cost["throttleStatus"]["currentlyAvailable"] < 10
    assert sorted(v["sku"] for v in shop.variants()) == ["A", "B"]
    assert shop.stats()["throttled"] == 1


def test_a_query_above_the_single_query_limit_is_refused(shop):
    # when
    answer = shop.graphql(
        "{ products(first: 250) { nodes { variants(first: 10) { nodes { id } } } } }"
    ).json()

    # then
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_injected_user_errors_name_the_field_for_the_chosen_skus(shop):
    # given
    shop.configure(fail_skus=["BAD-1"])

    # when
    good, bad = create(shop, sku="GOOD-1"), create(shop, sku="BAD-1")

    # then
    assert good["userErrors"] == []
    assert bad["product"] is None
    assert bad["userErrors"][0]["field"] == ["input", "variants", "0", "barcode"]
    assert bad["userErrors"][0]["code"] == "INVALID_VARIANT"
    assert [v["sku"] for v in shop.variants()] == ["GOOD-1"]


def test_injected_5xx_does_nothing_and_a_lost_answer_did_it(shop):
    # given
    shop.configure(error_rate=1.0)

    # when
    refused = shop.graphql(PRODUCT_SET, {"input": product_input(sku="A")})
    shop.configure(error_rate=0.0, lose_answer_rate=1.0)
    lost = shop.graphql(PRODUCT_SET, {"input": product_input(sku="B")})

    # then
    assert (refused.status_code, lost.status_code) == (503, 502)
    assert [v["sku"] for v in shop.variants()] == ["B"]


def test_variants_are_found_by_sku(shop):
    # given
    created = create(shop, sku="MUG-WHT-12OZ")
    create(shop, sku="SOCKS-3PK")

    # when
    answer = shop.graphql(
        '{ productVariants(first: 10, query: "sku:\\"MUG-WHT-12OZ\\" OR sku:NONE") '
        "{ nodes { id sku product { id } } } }"
    ).json()

    # then
    (node,) = answer["data"]["productVariants"]["nodes"]
    assert node["id"] == created["product"]["variants"]["nodes"][0]["id"]
    assert node["product"]["id"] == created["product"]["id"]


def test_wrong_token_unknown_version_and_bad_bodies(shop):
    # when
    wrong_token = shop.graphql(LOCATIONS, token="nope")
    unknown_version = shop.graphql(LOCATIONS, version="2026-13")
    not_json = __import__("requests").post(
        shop.graphql_url(),
        data=b"{not json",
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=5,
    )
    unknown_field = shop.graphql("{ orders(first: 1) { nodes { id } } }")

    # then
    assert wrong_token.status_code == 401
    assert "Invalid API key or access token" in wrong_token.json()["errors"]
    assert unknown_version.status_code == 404
    assert not_json.status_code == 400
    assert unknown_field.status_code == 200
    assert "Cannot query field 'orders'" in unknown_field.json()["errors"][0]["message"]
    assert shop.stats()["variants"] == 0


def test_control_endpoint_refuses_an_unknown_setting(shop):
    import requests

    response = requests.post(f"{shop.url}/_sandbox/config", json={"fail_ratio": 1}, timeout=5)

    assert response.status_code == 400
    assert response.json() == {"error": "unknown fault setting 'fail_ratio'"}


def test_records_kept_in_the_dump_file_survive_a_restart(tmp_path):
    from tests.connectors.sandbox_shop.shop_process import running_sandbox_shop

    dump = tmp_path / "shop.json"
    with running_sandbox_shop(tmp_path, "--dump", str(dump)) as first:
        created = create(first, sku="KEPT-1")
    with running_sandbox_shop(tmp_path, "--dump", str(dump)) as second:
        (variant,) = second.variants()
        created_by_sku = second.records()["created_by_sku"]

    assert (
        f"gid://shopify/ProductVariant/{variant['id']}"
        == (created["product"]["variants"]["nodes"][0]["id"])
    )
    assert created_by_sku == {"KEPT-1": 1}
