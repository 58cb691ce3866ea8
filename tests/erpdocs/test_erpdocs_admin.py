"""The IDoc admin as operations use it: configs, packages and IDocs, postings, invoices."""

import base64
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.erpdocs.choices import ERP_IDOC_POSTING, PostingState
from syncplatform.erpdocs.models import IdocConfig, IdocPackage, InboundIdocFile, Posting
from syncplatform.erpdocs.services import poll_idoc_statuses, send_idoc_postings
from tests.erpdocs.idoc_files import invoice, package
from tests.support.processes import wait_until

# The send job sends from a second thread, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def admin_client_(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_saving_an_idoc_config_creates_the_erps_two_schedules_and_hashes_the_password(
    admin_client_, erp, sandbox_erp
):
    response = admin_client_.post(
        reverse("admin:erpdocs_idocconfig_add"),
        {
            "partner": erp.pk,
            "idoc_url": sandbox_erp.base_url,
            "package_size": 500,
            "our_port": "SYNCPLAT",
            "our_partner_type": "LS",
            "our_partner": "SYNCPLAT",
            "erp_port": "SAPSBX",
            "erp_partner_type": "LS",
            "erp_partner": "SBXCLNT100",
            "erp_client": "100",
            "inbound_username": "sap-push",
            "inbound_password": "clear-push-pass-1",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    config = IdocConfig.objects.get()
    assert config.accepts_basic_auth("sap-push", "clear-push-pass-1")
    assert "clear-push-pass-1" not in config.inbound_password_hash
    rows = {
        row.name: (row.task, json.loads(row.args), row.queue)
        for row in PeriodicTask.objects.filter(name__contains="demo-erp")
    }
    task = "syncplatform.audit.tasks.run_scheduled_job_task"
    assert rows == {
        "send IDoc postings to demo-erp": (task, ["erp.idoc.out", erp.pk], "batch"),
        "ask demo-erp for IDoc statuses": (task, ["erp.idoc.status", erp.pk], "batch"),
    }


def test_the_issue_api_key_action_shows_a_key_that_opens_the_inbound_endpoint(
    admin_client_, client, idoc_config
):
    response = admin_client_.post(
        reverse("admin:erpdocs_idocconfig_changelist"),
        {"action": "issue_api_key", "_selected_action": [idoc_config.pk]},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    key = message.rsplit(" ", 1)[1]

    pushed = client.post(
        "/api/v1/erp/demo-erp/idocs",
        data=b"<INVOIC02/>",
        content_type="application/xml",
        HTTP_X_API_KEY=key,
    )
    assert pushed.status_code == 202


def test_a_package_page_shows_its_idocs_with_control_records_statuses_and_a_download(
    ops_client, shipped_order, idoc_config
):
    shipped_order("ADM-1")
    [sent] = send_idoc_postings(idoc_config.partner_id)

    def settled():
        poll_idoc_statuses(idoc_config.partner_id)
        return Posting.objects.filter(state=PostingState.POSTED).exists()

    wait_until(settled, timeout=20, what="53")

    page = ops_client.get(reverse("admin:erpdocs_idocpackage_change", args=[sent.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert sent.file_name in html and "0000000000000001" in html and ">53<" in html
    download = ops_client.get(reverse("admin:erpdocs_idocpackage_download", args=[sent.pk]))
    assert download.status_code == 200 and download.content == bytes(
        IdocPackage.objects.get().content
    )
    idoc = sent.idocs.get()
    idoc_page = ops_client.get(reverse("admin:erpdocs_idoc_change", args=[idoc.pk])).content
    assert b"<th>RCVPRN</th><td>SBXCLNT100</td>" in idoc_page
    assert b"<th>SNDPOR</th><td>SYNCPLAT</td>" in idoc_page


def test_postings_are_listed_by_state_and_a_failed_one_is_resent_by_the_action(
    ops_client, shipped_order, idoc_config, change_form_data
):
    # given: one posting refused by the ERP (51)
    shipped_order("ADM-51")
    posting = Posting.objects.get()
    posting.document["items"][0]["quantity"] = "9"
    Posting.objects.filter(pk=posting.pk).update(document=posting.document)
    send_idoc_postings(idoc_config.partner_id)

    def failed():
        poll_idoc_statuses(idoc_config.partner_id)
        return Posting.objects.filter(state=PostingState.FAILED).exists()

    wait_until(failed, timeout=20, what="51")
    changelist = reverse("admin:erpdocs_posting_changelist")
    listed = ops_client.get(changelist + "?state__exact=failed").context["cl"].result_list
    assert [p.pk for p in listed] == [posting.pk]

    # when operations correct the document on the page and resend
    page = ops_client.get(reverse("admin:erpdocs_posting_change", args=[posting.pk]))
    assert page.status_code == 200 and b"exceeds the delivery quantity" in page.content
    data = change_form_data(page)
    data["document"] = data["document"].replace('"quantity": "9"', '"quantity": "2"')
    saved = ops_client.post(reverse("admin:erpdocs_posting_change", args=[posting.pk]), data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    ops_client.post(changelist, {"action": "resend", "_selected_action": [posting.pk]})

    # then the failed transaction was replayed, and runs the resend
    assert Posting.objects.get().document["items"][0]["quantity"] == "2"
    tx = SyncTransaction.objects.get(kind=ERP_IDOC_POSTING)
    assert tx.state == "received"
    assert run_transaction(tx.pk).state == "succeeded"
    assert Posting.objects.get().state == PostingState.PENDING


def test_the_order_page_shows_its_invoices_and_postings(
    ops_client, client, shipped_order, idoc_config
):
    order = shipped_order("ADM-INV")
    basic = "Basic " + base64.b64encode(b"sap-push:push-secret-1").decode()
    body = package(invoice(4711, sales_order=order.erp_document_number))
    answer = client.post(
        "/api/v1/erp/demo-erp/idocs", data=body, content_type="application/xml",
        HTTP_AUTHORIZATION=basic,
    ).json()  # fmt: skip
    run_transaction(InboundIdocFile.objects.get(pk=answer["id"]).transaction_id)
    ops_client.force_login(User.objects.create_superuser("boss", "b@example.com", "x"))

    page = ops_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "0090004711" in html and "51.13" in html
    assert "IDoc postings to the ERP" in html and order.erp_delivery_number in html
    for kind in ("erp.order.post", "edi.940.out", "edi.945.in", "erp.invoice.in"):
        assert f"<td>{kind}</td>" in html
