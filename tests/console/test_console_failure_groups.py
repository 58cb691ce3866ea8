"""Open failures grouped by what would fix them; retry or resolve a group; a new mapping retries."""
# ruff: noqa: F811 - the fixtures imported from dashboard_fixtures are used as arguments

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.console.causes import missing_entries
from syncplatform.console.groups import failure_groups
from syncplatform.mappings.models import SkuMapping
from syncplatform.mappings.services import MissingMappings
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from tests.console.dashboard_fixtures import (  # noqa: F401 - fixtures by name
    fail_with,
    finance_user,
    make_transaction,
    missing_mapping,
    operator,
    shop,
)

pytestmark = pytest.mark.django_db

RUN_TASK = "syncplatform.audit.tasks.run_transaction_task"


@pytest.fixture
def failures(missing_mapping, fail_with):
    """Three orders miss SKU BEANIE-RED, one of them also location STORE-9; the ERP refused one."""
    return {
        "beanie": [missing_mapping(f"WEB-{n}", "sku BEANIE-RED") for n in (1, 2)]
        + [missing_mapping("WEB-3", "sku BEANIE-RED", "location STORE-9")],
        "refused": fail_with("WEB-4", "erp_rejected", "material MAT-1 is blocked"),
    }


def state(tx) -> str:
    return SyncTransaction.objects.get(pk=tx.pk).state


def last_event(tx):
    return SyncTransaction.objects.get(pk=tx.pk).events.order_by("-id").first()


def shown_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def group_titled(text: str):
    return next(g for g in failure_groups() if text in g.headline)


def test_the_mapping_missing_message_is_read_back_into_its_gaps(shop):
    gaps = ["sku BEANIE-RED", "sku HAT, GREEN", "location STORE-9", "code tax TX-FOOD"]
    assert missing_entries(str(MissingMappings(shop, gaps[:1] + gaps[2:]))) == [
        "sku BEANIE-RED",
        "location STORE-9",
        "code tax TX-FOOD",
    ]
    assert missing_entries("no SKU mapping for MUG-WHT") == []


def test_failures_are_grouped_by_what_would_fix_them(failures, shop):
    groups = failure_groups()

    assert [g.headline for g in groups] == [
        "3 orders: SKU BEANIE-RED has no mapping (demo-web)",
        "1 order: location STORE-9 has no mapping (demo-web)",
        "1 order: ERP sales order posting: erp_rejected (demo-web)",
    ]
    beanie, store, refused = groups
    assert sorted(beanie.transaction_ids) == sorted(tx.pk for tx in failures["beanie"])
    assert store.transaction_ids == [failures["beanie"][2].pk]
    assert refused.transaction_ids == [failures["refused"].pk]
    add_sku = reverse("admin:mappings_skumapping_add")
    assert [(f.label, f.url) for f in beanie.cause.fixes] == [
        ("Add the mapping", f"{add_sku}?channel={shop.pk}&channel_sku=BEANIE-RED"),
        ("Partner settings of demo-web", reverse("admin:partners_partner_change", args=[shop.pk])),
    ]
    assert store.cause.fixes[0].url.endswith(f"?channel={shop.pk}&channel_location=STORE-9")
    assert [f.label for f in refused.cause.fixes] == ["Partner settings of demo-web"]


def test_erp_refusals_are_grouped_by_the_erps_own_words(fail_with):
    for key in ("WEB-7", "WEB-8"):
        fail_with(key, "erp_validation", "ERP fault VALIDATION: material MAT-9 is blocked")
    fail_with("WEB-9", "erp_validation", "ERP fault VALIDATION: sales area closed")
    fail_with("WEB-10", "erp_validation", "the ERP said no")  # not its format: one generic group

    assert [g.headline for g in failure_groups()] == [
        "2 orders: ERP refused: material MAT-9 is blocked (demo-web)",
        "1 order: ERP refused: sales area closed (demo-web)",
        "1 order: ERP sales order posting: erp_validation (demo-web)",
    ]


def test_the_add_mapping_link_opens_a_prefilled_form(client, operator, failures, shop):
    client.force_login(operator)
    page = client.get(group_titled("BEANIE-RED").cause.fixes[0].url).content.decode()
    assert 'value="BEANIE-RED"' in page
    assert f'<option value="{shop.pk}" selected>' in page


def test_the_failures_page_lists_the_groups_with_links_to_each(client, operator, failures):
    client.force_login(operator)
    page = client.get(reverse("console:failures")).content.decode()
    beanie = group_titled("BEANIE-RED")
    assert "3 orders: SKU BEANIE-RED has no mapping (demo-web)" in page
    assert reverse("console:failure", args=[beanie.key]) in page
    detail = client.get(reverse("console:failure", args=[beanie.key])).content.decode()
    for tx in failures["beanie"]:
        assert reverse("admin:audit_synctransaction_change", args=[tx.pk]) in detail
    assert "Retry all in this group" in detail


def test_retry_all_in_a_group_replays_each_and_says_who(
    client, operator, failures, published, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    beanie = group_titled("BEANIE-RED")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:failure-retry", args=[beanie.key]))

    assert response.status_code == 302
    assert shown_messages(response) == ["3 sent for retry"]
    for tx in failures["beanie"]:
        assert state(tx) == TransactionState.RECEIVED
        event = last_event(tx)
        assert (event.kind, event.actor, event.message) == (
            EventKind.REPLAYED,
            operator,
            "retry all: SKU BEANIE-RED has no mapping (demo-web)",
        )
    assert sorted(args[0] for _, args in published) == sorted(tx.pk for tx in failures["beanie"])
    assert state(failures["refused"]) == TransactionState.FAILED


def test_resolve_all_needs_a_reason_then_closes_each_with_it(client, operator, failures):
    client.force_login(operator)
    refused = group_titled("erp_rejected")
    url = reverse("console:failure-resolve", args=[refused.key])

    empty = client.post(url, {"reason": "   "})
    assert empty.status_code == 200
    assert "Give a reason to resolve them." in shown_messages(empty)
    assert state(failures["refused"]) == TransactionState.FAILED

    done = client.post(url, {"reason": "cancelled with the customer, ticket 881"})
    assert shown_messages(done) == ["1 resolved"]
    event = last_event(failures["refused"])
    assert (event.kind, event.actor, event.message) == (
        EventKind.RESOLVED,
        operator,
        "cancelled with the customer, ticket 881",
    )
    assert state(failures["refused"]) == TransactionState.RESOLVED
    assert all(state(tx) == TransactionState.FAILED for tx in failures["beanie"])


def test_finance_reads_the_groups_but_may_not_retry_or_resolve(client, finance_user, failures):
    client.force_login(finance_user)
    beanie = group_titled("BEANIE-RED")
    detail = client.get(reverse("console:failure", args=[beanie.key]))
    assert detail.status_code == 200
    assert "Retry all in this group" not in detail.content.decode()
    assert "Add the mapping" not in detail.content.decode()
    assert "Partner settings of demo-web" in detail.content.decode()

    assert client.post(reverse("console:failure-retry", args=[beanie.key])).status_code == 403
    resolve = reverse("console:failure-resolve", args=[beanie.key])
    assert client.post(resolve, {"reason": "no"}).status_code == 403
    assert all(state(tx) == TransactionState.FAILED for tx in failures["beanie"])


def test_a_group_that_was_fixed_meanwhile_sends_the_page_back_to_the_list(client, operator):
    client.force_login(operator)
    response = client.get(reverse("console:failure", args=["0123456789abcdef"]))
    assert response.status_code == 302
    assert response.url == reverse("console:failures")
    assert shown_messages(response) == ["No open failures with this cause any more."]
    gone = client.post(reverse("console:failure-retry", args=["0123456789abcdef"]))
    assert gone.status_code == 404


def test_adding_the_missing_mapping_retries_what_it_blocked_and_says_by_whom(
    client, operator, failures, shop, published, django_capture_on_commit_callbacks
):
    client.force_login(operator)

    # when operations add the SKU mapping in the admin
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:mappings_skumapping_add"),
            {
                "channel": shop.pk,
                "channel_sku": "BEANIE-RED",
                "erp_material": "MAT-77",
                "erp_unit": "EA",
                "is_active": "on",
            },
        )

    # then every posting it blocked goes round again by itself, the history says why
    assert response.status_code == 302, response.content.decode()[:2000]
    for tx in failures["beanie"]:
        assert state(tx) == TransactionState.RECEIVED
        event = last_event(tx)
        assert (event.kind, event.actor, event.message) == (
            EventKind.REPLAYED,
            operator,
            "retried because mapping sku BEANIE-RED was added by olga",
        )
    assert sorted(args[0] for name, args in published if name == RUN_TASK) == sorted(
        tx.pk for tx in failures["beanie"]
    )
    assert state(failures["refused"]) == TransactionState.FAILED


def test_a_mapping_of_another_channel_or_not_in_force_retries_nothing(failures, shop):
    other = Partner.objects.create(code="other-web", name="Other", kind=PartnerKind.CHANNEL)
    SkuMapping.objects.create(channel=other, channel_sku="BEANIE-RED", erp_material="M")
    SkuMapping.objects.create(
        channel=shop, channel_sku="BEANIE-RED", erp_material="M", is_active=False
    )
    assert all(state(tx) == TransactionState.FAILED for tx in failures["beanie"])


def test_a_mapping_activated_later_retries_then_with_no_user_named(failures, shop):
    mapping = SkuMapping.objects.create(
        channel=shop, channel_sku="BEANIE-RED", erp_material="M", is_active=False
    )
    mapping.is_active = True
    mapping.save()
    for tx in failures["beanie"]:
        assert state(tx) == TransactionState.RECEIVED
        assert last_event(tx).message == (
            "retried because mapping sku BEANIE-RED was added by an import without a user"
        )
