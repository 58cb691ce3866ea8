"""Data the migrations install: the roles, the default retry policy, the sweeper's schedule.

Plain ``db`` tests on purpose: a transactional test flushes migration data.
"""

import json

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import PeriodicTask

from syncplatform.audit.models import RetryPolicy
from syncplatform.celery import app as celery_app
from syncplatform.orders.models import ERP_ORDER_POST

pytestmark = pytest.mark.django_db


def permissions_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_operations_group_can_edit_mappings_and_operate_transactions_but_not_partners():
    perms = permissions_of("operations")

    for model in ("skumapping", "locationmapping", "customermapping", "codemapping"):
        for verb in ("add", "change", "delete", "view"):
            assert f"mappings.{verb}_{model}" in perms
    assert {
        "audit.view_synctransaction",
        "audit.operate_synctransaction",
        "audit.view_transactionevent",
        "audit.view_retrypolicy",
        "audit.change_retrypolicy",
        "orders.view_order",
        "partners.view_partner",
        "partners.view_erpendpoint",
        "partners.view_channelconfig",
        "partners.view_apiclient",
        "django_celery_beat.change_periodictask",
    } <= perms
    # Nobody rewrites history or edits partner secrets from the operations role.
    forbidden = {
        f"audit.{verb}_{model}"
        for verb in ("add", "change", "delete")
        for model in ("synctransaction", "transactionevent")
    } | {"partners.change_erpendpoint", "partners.change_channelconfig", "partners.add_apiclient"}
    assert perms & forbidden == set()


def test_finance_group_can_view_orders_and_transactions_and_change_nothing():
    perms = permissions_of("finance")
    assert {
        "orders.view_order",
        "orders.view_orderline",
        "audit.view_synctransaction",
        "audit.view_transactionevent",
        "partners.view_partner",
    } <= perms
    # Finance reads everything it sees; it writes only its own work (settlement
    # imports and formats, reconciliation reports and tolerances).
    writes = {p for p in perms if not p.split(".")[1].startswith("view_")}
    assert {p.split(".")[0] for p in writes} <= {"finance", "settlements"}, writes
    assert not any(p.startswith("mappings.") for p in perms)


def test_the_operate_permission_is_declared_on_the_transaction_model(django_user_model):
    user = django_user_model.objects.create_user("ops2")
    user.groups.add(Group.objects.get(name="operations"))
    assert user.has_perm("audit.operate_synctransaction")
    assert not django_user_model.objects.create_user("nobody").has_perm(
        "audit.operate_synctransaction"
    )


def test_default_retry_policy_for_erp_postings_is_installed():
    policy = RetryPolicy.objects.get(kind=ERP_ORDER_POST)
    assert (policy.max_attempts, policy.delays_seconds, policy.jitter_ratio) == (
        10,
        [5, 15, 30, 60, 120, 300, 600, 1200, 1800],
        0.2,
    )
    policy.full_clean()  # the installed policy passes its own validation


def test_the_sweeper_runs_every_five_seconds_on_the_realtime_queue():
    task = PeriodicTask.objects.get(name="sweep due transactions")
    assert (task.task, json.loads(task.args)) == (
        "syncplatform.audit.tasks.run_scheduled_job_task",
        ["audit.sweep"],
    )
    celery_app.loader.import_default_modules()  # what a worker imports as it starts
    assert task.task in celery_app.tasks
    assert (task.interval.every, task.interval.period) == (5, "seconds")
    assert task.queue == "realtime"
    assert task.enabled


def test_given_policy_without_jitter_then_delays_follow_the_list_and_the_last_repeats():
    policy = RetryPolicy(kind="x", max_attempts=9, delays_seconds=[5, 15], jitter_ratio=0.0)
    assert [policy.delay_after(n).total_seconds() for n in (1, 2, 3, 8)] == [5, 15, 15, 15]


def test_given_policy_with_jitter_then_delays_stay_within_the_ratio():
    policy = RetryPolicy(kind="x", max_attempts=9, delays_seconds=[100], jitter_ratio=0.2)
    delays = {policy.delay_after(1).total_seconds() for _ in range(200)}
    assert all(80 <= d <= 120 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize(
    ("delays", "jitter", "field"),
    [
        ([], 0.1, "delays_seconds"),
        ([5, -1], 0.1, "delays_seconds"),
        (["5"], 0.1, "delays_seconds"),
        ([5], 1.5, "jitter_ratio"),
    ],
)
def test_given_invalid_policy_when_cleaned_then_the_field_is_named(delays, jitter, field):
    from django.core.exceptions import ValidationError

    policy = RetryPolicy(kind="x", max_attempts=3, delays_seconds=delays, jitter_ratio=jitter)
    with pytest.raises(ValidationError) as refused:
        policy.clean()
    assert list(refused.value.message_dict) == [field]
