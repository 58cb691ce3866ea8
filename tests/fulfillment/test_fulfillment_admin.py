"""The fulfilment admin as operations use it: find files, read and download them, replay them."""

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.urls import reverse

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.fulfillment.models import Interchange, WarehouseConfig
from syncplatform.fulfillment.services import receive_file
from tests.fulfillment.fulfillment_files import file_945, shipping_advice

APPLY_TASK = "syncplatform.audit.tasks.run_transaction_task"
SFTP_PASSWORD = "sftp-clear-pass-8c1e"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA-clear-key-body\n"


@pytest.fixture
def files(config, sent_orders):
    """A 940 we queued, a 945 applied (and the 997 we queued for it), a junk file that failed."""
    [order] = sent_orders("WEB-ADMIN")
    applied = receive_file(config, "945_a.edi", file_945([shipping_advice(order)], 501))
    failed = receive_file(config, "junk.edi", b"not an interchange at all")
    return {
        "940": Interchange.objects.get(file_name="940_000000001.edi"),
        "997": Interchange.objects.get(acknowledges=applied),
        "applied": applied,
        "failed": failed,
    }


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


def listed(client, query: str = "") -> list[str]:
    response = client.get(reverse("admin:fulfillment_interchange_changelist") + query)
    assert response.status_code == 200
    return sorted(i.file_name for i in response.context["cl"].result_list)


def test_given_files_when_filtering_the_interchange_list_then_only_matching_files_show(
    ops_client, files
):
    assert listed(ops_client) == sorted(
        ["940_000000001.edi", "997_000000002.edi", "945_a.edi", "junk.edi"]
    )
    assert listed(ops_client, "?direction__exact=in") == ["945_a.edi", "junk.edi"]
    assert listed(ops_client, "?direction__exact=out") == ["940_000000001.edi", "997_000000002.edi"]
    assert listed(ops_client, "?state__exact=failed") == ["junk.edi"]
    assert listed(ops_client, "?state__exact=applied") == ["945_a.edi"]
    assert listed(ops_client, "?ack_state__exact=pending") == ["940_000000001.edi"]
    assert listed(ops_client, "?q=945_a") == ["945_a.edi"]


def test_given_a_received_file_when_opened_then_segments_and_a_download_link_are_shown(
    ops_client, files
):
    applied = files["applied"]

    page = ops_client.get(reverse("admin:fulfillment_interchange_change", args=[applied.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    download = reverse("admin:fulfillment_interchange_download", args=[applied.pk])
    size = len(bytes(applied.content))
    assert f'<a href="{download}">download 945_a.edi ({size} bytes)</a>' in html
    order_ref = files["940"].shipping_orders.get().order.erp_reference
    assert f"ST*945*0001\nW06*F*{order_ref}*20261124*SHP-1**WEB-ADMIN\nW27*M*UPSN" in html
    assert "IEA*1*000000501</pre>" in html
    assert (
        f"<td>945</td><td>0001</td><td>945: depositor order {order_ref}, shipment SHP-1, "
        "1 line(s), shipped 2026-11-24</td>"
    ) in html


def test_given_an_unreadable_file_when_opened_then_the_parsed_sets_say_why(ops_client, files):
    junk = Interchange.objects.get(file_name="junk.edi")

    html = ops_client.get(
        reverse("admin:fulfillment_interchange_change", args=[junk.pk])
    ).content.decode()

    assert "<strong>unreadable:</strong> interchange 1, segment 1" in html


def test_given_a_file_when_downloaded_then_the_exact_bytes_come_back_as_an_attachment(
    ops_client, files
):
    applied = files["applied"]

    response = ops_client.get(reverse("admin:fulfillment_interchange_download", args=[applied.pk]))

    assert response.status_code == 200
    assert response.content == bytes(applied.content)
    assert response["Content-Disposition"] == 'attachment; filename="945_a.edi"'
    assert response["Content-Type"] == "application/edi-x12"


def test_given_a_staff_user_without_interchange_permission_when_downloading_then_refused(
    client, files
):
    finance = User.objects.create_user("fin", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)

    response = client.get(
        reverse("admin:fulfillment_interchange_download", args=[files["applied"].pk])
    )

    assert response.status_code == 403
    assert bytes(files["applied"].content) not in response.content


def test_given_failed_and_applied_files_when_replaying_then_failed_replayed_others_skipped(
    ops_client, operator, files, published, django_capture_on_commit_callbacks
):
    failed, applied = files["failed"], files["applied"]
    url = reverse("admin:fulfillment_interchange_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            url,
            {"action": "replay_files", "_selected_action": [failed.pk, applied.pk]},
            follow=True,
        )

    assert response.status_code == 200
    messages = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert messages == [
        ("success", "1 file(s) sent for retry"),
        ("warning", "skipped, not failed: 945_a.edi"),
    ]
    failed.transaction.refresh_from_db()
    assert failed.transaction.state == TransactionState.RECEIVED
    replayed = failed.transaction.events.last()
    assert (replayed.kind, replayed.actor, replayed.message) == (
        EventKind.REPLAYED,
        operator,
        "replay of junk.edi",
    )
    applied.transaction.refresh_from_db()
    assert applied.transaction.state == TransactionState.SUCCEEDED
    assert published[-1] == (APPLY_TASK, [failed.transaction_id])
    assert [name for name, _ in published].count(APPLY_TASK) == 1


def test_given_stored_sftp_secrets_when_editing_the_config_then_never_shown_and_kept_if_empty(
    ops_client, config, change_form_data
):
    config.sftp_password = SFTP_PASSWORD
    config.sftp_private_key = PRIVATE_KEY
    config.save()
    url = reverse("admin:fulfillment_warehouseconfig_change", args=[config.pk])

    page = ops_client.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert SFTP_PASSWORD not in html and "clear-key-body" not in html
    assert html.count("A value is stored (hidden). Leave empty to keep it.") == 2

    data = change_form_data(page)
    assert (data["sftp_password"], data["sftp_private_key"]) == ("", "")
    data["sftp_username"] = "renamed"
    assert ops_client.post(url, data).status_code == 302

    stored = WarehouseConfig.objects.get(pk=config.pk)
    assert stored.sftp_username == "renamed"
    assert (stored.sftp_password, stored.sftp_private_key) == (SFTP_PASSWORD, PRIVATE_KEY)

    data = change_form_data(ops_client.get(url))
    data["sftp_password"] = "a-new-password"
    assert ops_client.post(url, data).status_code == 302

    stored = WarehouseConfig.objects.get(pk=config.pk)
    assert (stored.sftp_password, stored.sftp_private_key) == ("a-new-password", PRIVATE_KEY)
