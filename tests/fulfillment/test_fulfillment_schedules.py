"""Beat schedules per warehouse (created when a config is saved in the admin) and migration 0002."""

import json

from django.contrib.auth.models import Group
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK as JOB_TASK
from syncplatform.celery import app as celery_app


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
    pk = config.partner_id

    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302, response.content[:2000]
    send = PeriodicTask.objects.get(name="send 940s to demo-3pl")
    poll = PeriodicTask.objects.get(name="poll demo-3pl inbound")
    assert schedule(send) == (JOB_TASK, ["edi.940.out", pk], "batch", 300, "seconds", True)
    assert schedule(poll) == (JOB_TASK, ["edi.inbound.poll", pk], "batch", 60, "seconds", True)

    # operations slow the sends down and pause the poll; saving the config again keeps that
    send.interval, _ = IntervalSchedule.objects.get_or_create(every=900, period="seconds")
    send.save()
    poll.enabled = False
    poll.save()
    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302
    send.refresh_from_db()
    poll.refresh_from_db()
    assert schedule(send) == (JOB_TASK, ["edi.940.out", pk], "batch", 900, "seconds", True)
    assert schedule(poll) == (JOB_TASK, ["edi.inbound.poll", pk], "batch", 60, "seconds", False)
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
    per_partner = PeriodicTask.objects.filter(name__contains="3pl")
    assert {t.name: json.loads(t.args) for t in per_partner} == {
        "send 940s to east-3pl": ["edi.940.out", other_warehouse.pk],
        "poll east-3pl inbound": ["edi.inbound.poll", other_warehouse.pk],
    }


def test_the_overdue_997_watch_is_scheduled_on_the_batch_queue(db):
    task = PeriodicTask.objects.get(name="flag overdue 997s")

    assert schedule(task) == (JOB_TASK, ["edi.997.overdue"], "batch", 60, "seconds", True)


def test_the_scheduled_job_task_is_a_registered_celery_task():
    assert JOB_TASK in celery_app.tasks


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
