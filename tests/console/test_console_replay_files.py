"""Edit and replay: a failed 945 replaced by a corrected upload in the admin, then applied."""

import dataclasses
import json

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.fulfillment.choices import InterchangeState
from syncplatform.fulfillment.models import Interchange, Shipment
from syncplatform.fulfillment.services import receive_file
from syncplatform.fulfillment.services.corrections import NotReplaceable, replace_inbound_file
from tests.fulfillment.conftest import (  # noqa: F401 - the fulfilment fixtures, shared
    config,
    mappings,
    other_warehouse,
    posted_order,
    sent_orders,
)
from tests.fulfillment.fulfillment_files import file_846, file_945, shipping_advice

RUN_TASK = "syncplatform.audit.tasks.run_transaction_task"


@pytest.fixture
def operator(db):
    user = User.objects.create_user("ops", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_interchange", "view_synctransaction", "operate_synctransaction"]
        )
    )
    return user


@pytest.fixture
def wrong_945(config, sent_orders, published):  # noqa: F811
    """A 945 naming our order with a typo (depositor order number), and its corrected copy."""
    [order] = sent_orders("WEB-945")
    advice = shipping_advice(order)
    typo = dataclasses.replace(advice, depositor_order_number="SP-99999999X")
    interchange = receive_file(config, "945_typo.edi", file_945([typo], 701))
    return order, interchange, file_945([advice], 701)


def replace_url(interchange) -> str:
    return reverse("admin:fulfillment_interchange_replace", args=[interchange.pk])


def test_a_corrected_upload_replaces_a_failed_945_keeps_the_original_and_is_applied(
    client, operator, wrong_945, published, django_capture_on_commit_callbacks
):
    # given
    order, interchange, corrected = wrong_945
    tx = interchange.transaction
    original = bytes(interchange.content)
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_unmatched")
    client.force_login(operator)
    page = client.get(reverse("admin:fulfillment_interchange_change", args=[interchange.pk]))
    assert replace_url(interchange) in page.content.decode()

    # when
    upload = SimpleUploadedFile("945_fixed.edi", corrected)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(replace_url(interchange), {"file": upload, "reason": "typo"})

    # then: the file holds the corrected bytes and its history the original, verbatim
    assert response.status_code == 302, response.content.decode()[:2000]
    interchange.refresh_from_db()
    assert bytes(interchange.content) == corrected
    tx.refresh_from_db()
    assert tx.state == TransactionState.RECEIVED
    assert (RUN_TASK, [tx.pk]) in published
    note = tx.events.get(kind=EventKind.NOTE)
    assert note.actor == operator
    assert note.message.startswith("file replaced by a corrected upload by ops: sha256 ")
    assert "-W06*F*SP-99999999X*" in note.message
    assert f"+W06*F*{order.erp_reference}*" in note.message
    kept = json.loads(note.excerpt)
    assert kept["original"].encode() == original
    assert kept["file_name"] == "945_typo.edi"
    assert tx.events.filter(kind=EventKind.REPLAYED, actor=operator).count() == 1

    # ... and the normal runner applies the corrected file.
    assert run_transaction(tx.pk).state == TransactionState.SUCCEEDED
    interchange.refresh_from_db()
    assert interchange.state == InterchangeState.APPLIED
    assert Shipment.objects.filter(shipping_order__order_id=order.pk).count() == 1


def test_replacements_that_would_lose_or_confuse_data_are_refused(
    client,
    operator,
    wrong_945,
    config,  # noqa: F811
):
    _, interchange, corrected = wrong_945
    client.force_login(operator)

    same = client.post(
        replace_url(interchange),
        {"file": SimpleUploadedFile("same.edi", bytes(interchange.content))},
    )
    other_kind = client.post(
        replace_url(interchange),
        {"file": SimpleUploadedFile("846.edi", file_846(702, "20261124", []))},
    )
    empty = client.post(replace_url(interchange), {"file": SimpleUploadedFile("e.edi", b"")})

    assert "the upload is the same file, byte for byte" in same.content.decode()
    assert "the upload reads as edi.846.in, the file it replaces as edi.945.in" in (
        other_kind.content.decode()
    )
    assert empty.context["form"].errors["file"]  # Django refuses an empty upload
    interchange.refresh_from_db()
    assert interchange.transaction.state == TransactionState.FAILED
    assert interchange.transaction.events.filter(kind=EventKind.NOTE).count() == 0

    applied = receive_file(config, "945_ok.edi", corrected.replace(b"000000701", b"000000703"))
    with pytest.raises(NotReplaceable, match="only a received file whose transaction failed"):
        replace_inbound_file(applied.pk, corrected, actor=operator)
    assert Interchange.objects.get(pk=applied.pk).state == InterchangeState.APPLIED


def test_only_operations_may_replace_a_file(client, wrong_945):
    _, interchange, corrected = wrong_945
    viewer = User.objects.create_user("fin", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_interchange"))
    client.force_login(viewer)

    page = client.get(reverse("admin:fulfillment_interchange_change", args=[interchange.pk]))
    response = client.post(
        replace_url(interchange), {"file": SimpleUploadedFile("x.edi", corrected)}
    )

    assert replace_url(interchange) not in page.content.decode()
    assert response.status_code == 403
    interchange.refresh_from_db()
    assert bytes(interchange.content) != corrected
