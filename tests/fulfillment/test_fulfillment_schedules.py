"""Beat schedules per warehouse (created when a config is saved in the admin) and migration 0002."""

import json

from django.contrib.auth.models import Group
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from syncplatform.celery import app as celery_app
from syncplatform.fulfillment import tasks

SEND_TASK = "syncplatform.fulfillment.tasks.send_shipping_orders_task"
POLL_TASK = "syncplatform.fulfillment.tasks.poll_warehouse_task"
FLAG_TASK = "syncplatform.fulfillment.tasks.flag_overdue_acknowledgments_task"


def schedule(task: PeriodicTask) -> tuple:
    return (
        task.task,
        json.loads(task.args),
        task.queue,
        task.interval.every,
        task.interval.period,
        task.enabled,
    )


def test_given_a_config_saved_in_the_admin_then_its_send_and_poll_tasks_exist_and_stay_edited(
    client, operator, config, change_form_data
):
    client.force_login(operator)
    url = reverse("admin:fulfillment_warehouseconfig_change", args=[config.pk])

    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302, response.content[:2000]
    send = PeriodicTask.objects.get(name="send 940s to demo-3pl")
    poll = PeriodicTask.objects.get(name="poll demo-3pl inbound")
    assert schedule(send) == (SEND_TASK, [config.partner_id], "batch", 300, "seconds", True)
    assert schedule(poll) == (POLL_TASK, [config.partner_id], "batch", 60, "seconds", True)

    # operations slow the sends down and pause the poll; saving the config again keeps that
    send.interval, _ = IntervalSchedule.objects.get_or_create(every=900, period="seconds")
    send.save()
    poll.enabled = False
    poll.save()
    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302
    send.refresh_from_db()
    poll.refresh_from_db()
    assert schedule(send) == (SEND_TASK, [config.partner_id], "batch", 900, "seconds", True)
    assert schedule(poll) == (POLL_TASK, [config.partner_id], "batch", 60, "seconds", False)
    assert PeriodicTask.objects.filter(name__contains="demo-3pl").count() == 2


def test_given_a_new_config_added_in_the_admin_then_schedules_name_that_partner(
    admin_client, warehouse, other_warehouse
):
    response = admin_client.post(
        reverse("admin:fulfillment_warehouseconfig_add"),
        {
            "partner": other_warehouse.pk,
            "sftp_host": "sftp.east.example",
            "sftp_port": "22",
            "sftp_username": "syncplatform",
            "sftp_password": "east-password-1",
            "sftp_private_key": "",
            "sftp_known_hosts": "sftp.east.example ssh-ed25519 "
            "AAAAC3NzaC1lZDI1NTE5AAAAIKEMTabZlNAyil7AYIPmCRlXDLWBqqnNk1pUGu2vwVbD",
            "settle_seconds": "2",
            "outbound_folder": "out",
            "inbound_folder": "in",
            "archive_folder": "done",
            "error_folder": "bad",
            "inbound_pattern": "*.edi",
            "our_isa_qualifier": "ZZ",
            "our_isa_id": "SYNCPLATFORM",
            "their_isa_qualifier": "ZZ",
            "their_isa_id": "EAST3PL",
            "x12_version": "004010",
            "usage_indicator": "P",
            "expects_997": "on",
            "ack_due_minutes": "60",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    tasks_named = {t.name: json.loads(t.args) for t in PeriodicTask.objects.exclude(args="[]")}
    assert tasks_named == {
        "send 940s to east-3pl": [other_warehouse.pk],
        "poll east-3pl inbound": [other_warehouse.pk],
    }


def test_migration_0002_scheduled_the_overdue_997_watch_on_the_batch_queue(db):
    task = PeriodicTask.objects.get(name="flag overdue 997s")

    assert schedule(task) == (FLAG_TASK, [], "batch", 60, "seconds", True)


def test_every_scheduled_fulfilment_task_name_is_a_registered_celery_task():
    assert tasks.send_shipping_orders_task.name == SEND_TASK
    for name in (SEND_TASK, POLL_TASK, FLAG_TASK):
        assert name in celery_app.tasks


def test_migration_0002_gave_operations_and_finance_their_fulfilment_permissions(db):
    def fulfilment_permissions(group: str) -> set[str]:
        return set(
            Group.objects.get(name=group)
            .permissions.filter(content_type__app_label="fulfillment")
            .values_list("codename", flat=True)
        )

    assert fulfilment_permissions("operations") == {
        "view_warehouseconfig",
        "change_warehouseconfig",
        "view_interchange",
        "view_shippingorder",
        "view_shipment",
        "view_shipmentline",
        "view_stockposition",
    }
    assert fulfilment_permissions("finance") == {
        "view_shippingorder",
        "view_shipment",
        "view_shipmentline",
        "view_stockposition",
    }
