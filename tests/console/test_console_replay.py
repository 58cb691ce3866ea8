"""Edit and replay: a failed order's address or SKU corrected in the admin, then replayed."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.core.errors import NeedsPerson
from syncplatform.orders.corrections import NotCorrectable, correct_failed_order
from syncplatform.orders.models import Order
from syncplatform.orders.services import IntakeRequest, accept_order
from tests.support.orders import canonical_order

RUN_TASK = "syncplatform.audit.tasks.run_transaction_task"


def user_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def operator(db):
    return user_with("ops", "view_order", "view_synctransaction", "operate_synctransaction")


@pytest.fixture
def finance(db):
    return user_with("fin", "view_order", "view_synctransaction")


@pytest.fixture
def accept(channel, published):
    def create(number: str) -> Order:
        order = canonical_order(number, sku="BEANIE-RED")
        request = IntakeRequest(
            channel, "replay-tests", f"k-{number}", json.dumps(order).encode(), "c"
        )
        return accept_order(request, order).order

    return create


@pytest.fixture
def failed_order(accept):
    order = accept("WEB-EDIT")

    def refuse(tx):
        raise NeedsPerson("sku BEANIE-RED has no mapping")

    run_transaction(order.erp_transaction.pk, refuse)
    return Order.objects.get(pk=order.pk)


def correct_url(order) -> str:
    return reverse("admin:orders_order_correct", args=[order.pk])


def form_data(order, **changes) -> dict:
    data = {
        "ship_to_name": order.ship_to_name,
        "ship_to_line1": order.ship_to_line1,
        "ship_to_line2": order.ship_to_line2,
        "ship_to_city": order.ship_to_city,
        "ship_to_region": order.ship_to_region,
        "ship_to_postal_code": order.ship_to_postal_code,
        "ship_to_country": order.ship_to_country,
        "ship_to_phone": order.ship_to_phone,
        "line_1_sku": order.lines.get(line_number=1).sku,
        "reason": "",
    }
    data.update(changes)
    return data


def test_an_operator_corrects_address_and_sku_and_the_posting_is_replayed_with_a_trace(
    client, operator, failed_order, published, django_capture_on_commit_callbacks
):
    # given
    client.force_login(operator)
    posting = failed_order.erp_transaction

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            correct_url(failed_order),
            form_data(
                failed_order,
                ship_to_line1="2 Main Street",
                line_1_sku="TSHIRT-BLK-M",
                reason="typo",
            ),
        )

    # then: the order holds the correction, the posting is replayed and published
    assert response.status_code == 302
    assert response.url == reverse("admin:orders_order_change", args=[failed_order.pk])
    order = Order.objects.get(pk=failed_order.pk)
    assert order.ship_to_line1 == "2 Main Street"
    assert order.lines.get(line_number=1).sku == "TSHIRT-BLK-M"
    posting.refresh_from_db()
    assert posting.state == TransactionState.RECEIVED
    assert (RUN_TASK, [posting.pk]) in published
    note, replayed = posting.events.order_by("pk")[3:5]
    assert (note.kind, note.actor, replayed.kind, replayed.actor) == (
        EventKind.NOTE,
        operator,
        EventKind.REPLAYED,
        operator,
    )
    assert "ship_to_line1: '1 Main St' → '2 Main Street'" in note.message
    assert "line 1 sku: 'BEANIE-RED' → 'TSHIRT-BLK-M'" in note.message
    assert note.message.endswith("(typo)")
    assert json.loads(note.excerpt)["changes"] == {
        "ship_to_line1": ["1 Main St", "2 Main Street"],
        "line 1 sku": ["BEANIE-RED", "TSHIRT-BLK-M"],
    }
    # ... and the replay runs through the normal runner.
    assert run_transaction(posting.pk, lambda tx: Outcome("posted")).state == "succeeded"


def test_the_failed_orders_page_offers_the_form_filled_with_what_it_holds(
    client, operator, finance, failed_order, accept
):
    waiting = accept("WEB-WAITING")
    client.force_login(operator)

    page = client.get(reverse("admin:orders_order_change", args=[failed_order.pk]))
    waiting_page = client.get(reverse("admin:orders_order_change", args=[waiting.pk]))
    form = client.get(correct_url(failed_order))

    assert correct_url(failed_order) in page.content.decode()
    assert correct_url(waiting) not in waiting_page.content.decode()
    assert form.status_code == 200
    assert form.context["form"]["ship_to_line1"].value() == "1 Main St"
    assert form.context["form"]["line_1_sku"].value() == "BEANIE-RED"
    assert "sku BEANIE-RED has no mapping" in form.content.decode()

    client.force_login(finance)
    assert (
        correct_url(failed_order)
        not in client.get(
            reverse("admin:orders_order_change", args=[failed_order.pk])
        ).content.decode()
    )


def test_finance_may_not_correct(client, finance, failed_order):
    client.force_login(finance)
    response = client.post(correct_url(failed_order), form_data(failed_order, ship_to_city="X"))
    assert response.status_code == 403
    assert Order.objects.get(pk=failed_order.pk).ship_to_city == failed_order.ship_to_city
    assert failed_order.erp_transaction.events.filter(kind=EventKind.NOTE).count() == 0


def test_an_order_whose_posting_did_not_fail_is_not_editable(client, operator, accept):
    waiting = accept("WEB-WAITING")
    client.force_login(operator)

    response = client.post(correct_url(waiting), form_data(waiting, ship_to_city="Elsewhere"))

    assert response.status_code == 302
    assert Order.objects.get(pk=waiting.pk).ship_to_city == waiting.ship_to_city
    with pytest.raises(NotCorrectable, match="only an order whose ERP posting failed"):
        correct_failed_order(waiting.pk, actor=None, ship_to={"ship_to_city": "X"}, skus={})


def test_bad_or_empty_corrections_are_refused_with_the_reason_and_nothing_written(
    client, operator, failed_order
):
    client.force_login(operator)
    posting = failed_order.erp_transaction

    unchanged = client.post(correct_url(failed_order), form_data(failed_order))
    bad_country = client.post(
        correct_url(failed_order), form_data(failed_order, ship_to_country="U1")
    )
    no_city = client.post(correct_url(failed_order), form_data(failed_order, ship_to_city=" "))

    assert "nothing was changed: the order is as it was" in unchanged.content.decode()
    assert bad_country.context["form"].errors["ship_to_country"] == [
        "a two-letter ISO 3166 country code, e.g. US"
    ]
    assert no_city.context["form"].errors["ship_to_city"] == ["This field is required."]
    posting.refresh_from_db()
    assert posting.state == TransactionState.FAILED
    assert posting.events.filter(kind__in=[EventKind.NOTE, EventKind.REPLAYED]).count() == 0
    with pytest.raises(NotCorrectable, match="has no line 7"):
        correct_failed_order(failed_order.pk, actor=operator, ship_to={}, skus={7: "X"})
    with pytest.raises(NotCorrectable, match="customer_id is not a ship-to field"):
        correct_failed_order(failed_order.pk, actor=operator, ship_to={"customer_id": "1"}, skus={})
    assert Order.objects.get(pk=failed_order.pk).lines.get().sku == "BEANIE-RED"
