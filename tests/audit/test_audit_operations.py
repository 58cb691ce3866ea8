"""Replay and resolve: the services and the admin actions operations uses to triage."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import InvalidTransition, SyncTransaction
from syncplatform.audit.services import replay_transaction, resolve_transaction

pytestmark = pytest.mark.django_db

POST_TASK = "syncplatform.audit.tasks.run_transaction_task"
CHANGELIST = reverse("admin:audit_synctransaction_changelist")


def last_event(tx):
    return SyncTransaction.objects.get(pk=tx.pk).events.order_by("-id").first()


def shown_messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


# --- services -----------------------------------------------------------------------------


def test_given_failed_when_replayed_then_received_and_published_after_commit(
    failed_transaction, operator, published, django_capture_on_commit_callbacks
):
    tx = failed_transaction()

    with django_capture_on_commit_callbacks(execute=True):
        replay_transaction(tx.pk, actor=operator, reason="sku added")
        assert published == []

    assert published == [(POST_TASK, [tx.pk])]
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.RECEIVED
    event = last_event(tx)
    assert (event.kind, event.actor, event.message) == ("replayed", operator, "sku added")


def test_given_succeeded_when_replayed_then_refused_and_nothing_published(
    succeeded_transaction, operator, published, django_capture_on_commit_callbacks
):
    tx = succeeded_transaction()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        replay_transaction(tx.pk, actor=operator)
    assert published == []
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.SUCCEEDED


def test_given_failed_when_resolved_then_resolved_with_reason_and_nothing_published(
    failed_transaction, operator, published, django_capture_on_commit_callbacks
):
    tx = failed_transaction()
    with django_capture_on_commit_callbacks(execute=True):
        resolve_transaction(tx.pk, actor=operator, reason="duplicate of WEB-9")
    assert published == []
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.RESOLVED
    event = last_event(tx)
    assert (event.kind, event.actor, event.message) == ("resolved", operator, "duplicate of WEB-9")


def test_given_failed_when_resolved_without_reason_then_refused(failed_transaction, operator):
    tx = failed_transaction()
    with pytest.raises(InvalidTransition, match="needs a reason"):
        resolve_transaction(tx.pk, actor=operator, reason=" ")
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED


# --- admin actions ------------------------------------------------------------------------


def test_given_operator_when_retry_now_on_failed_then_received_published_and_event_has_actor(
    ops_client, operator, failed_transaction, published, django_capture_on_commit_callbacks
):
    tx = failed_transaction()

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [tx.pk]}, follow=True
        )

    assert response.status_code == 200
    assert ("success", "1 transaction(s) sent for retry") in shown_messages(response)
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.RECEIVED
    assert published == [(POST_TASK, [tx.pk])]
    event = last_event(tx)
    assert (event.kind, event.from_state, event.to_state, event.actor, event.message) == (
        "replayed",
        "failed",
        "received",
        operator,
        "retry now",
    )


def test_given_mixed_selection_when_retry_now_then_succeeded_one_is_skipped_with_warning(
    ops_client,
    failed_transaction,
    succeeded_transaction,
    published,
    django_capture_on_commit_callbacks,
):
    failed = failed_transaction("WEB-F1")
    done = succeeded_transaction("WEB-S1")
    events_before = done.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            CHANGELIST,
            {"action": "retry_now", "_selected_action": [failed.pk, done.pk]},
            follow=True,
        )

    assert shown_messages(response) == [
        ("success", "1 transaction(s) sent for retry"),
        ("warning", f"skipped, not failed: #{done.pk} (succeeded)"),
    ]
    assert published == [(POST_TASK, [failed.pk])]
    assert SyncTransaction.objects.get(pk=done.pk).state == TransactionState.SUCCEEDED
    assert done.events.count() == events_before


def test_given_operator_when_resolve_with_reason_then_form_first_then_resolved(
    ops_client, operator, failed_transaction, succeeded_transaction
):
    tx = failed_transaction("WEB-F2")
    done = succeeded_transaction("WEB-S2")
    selected = [tx.pk, done.pk]

    form_page = ops_client.post(
        CHANGELIST, {"action": "resolve_with_reason", "_selected_action": selected}
    )

    assert form_page.status_code == 200
    assert "admin/audit/resolve_transactions.html" in [t.name for t in form_page.templates]
    html = form_page.content.decode()
    assert 'name="reason"' in html
    assert f'name="_selected_action" value="{tx.pk}"' in html
    assert "material MAT-1 is blocked" in html
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED  # not yet

    response = ops_client.post(
        CHANGELIST,
        {
            "action": "resolve_with_reason",
            "apply": "1",
            "reason": "customer cancelled by phone",
            "_selected_action": selected,
        },
        follow=True,
    )

    assert shown_messages(response) == [
        ("success", "1 transaction(s) resolved"),
        ("warning", f"skipped, not failed: #{done.pk} (succeeded)"),
    ]
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.RESOLVED
    event = last_event(tx)
    assert (event.kind, event.actor, event.message) == (
        "resolved",
        operator,
        "customer cancelled by phone",
    )


def test_given_empty_reason_when_resolving_then_the_form_comes_back_and_nothing_changes(
    ops_client, failed_transaction
):
    tx = failed_transaction()

    response = ops_client.post(
        CHANGELIST,
        {"action": "resolve_with_reason", "apply": "1", "reason": "", "_selected_action": [tx.pk]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED


def test_given_user_without_operate_permission_then_no_actions_and_posting_one_does_nothing(
    client, finance_user, failed_transaction, published, django_capture_on_commit_callbacks
):
    tx = failed_transaction()
    client.force_login(finance_user)
    assert not finance_user.has_perm("audit.operate_synctransaction")

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert (
        listing.context["action_form"] is None
        or [name for name, _ in listing.context["action_form"].fields["action"].choices if name]
        == []
    )
    assert "retry_now" not in listing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        for action in ("retry_now", "resolve_with_reason"):
            client.post(
                CHANGELIST,
                {"action": action, "apply": "1", "reason": "x", "_selected_action": [tx.pk]},
            )

    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED
    assert published == []


def test_given_operator_then_the_changelist_offers_exactly_retry_and_resolve(
    ops_client, failed_transaction
):
    failed_transaction()
    listing = ops_client.get(CHANGELIST)
    actions = [name for name, _ in listing.context["action_form"].fields["action"].choices if name]
    assert actions == ["retry_now", "resolve_with_reason"]


def test_given_transaction_then_change_page_is_read_only_with_its_events_inline(
    ops_client, failed_transaction
):
    tx = failed_transaction()
    url = reverse("admin:audit_synctransaction_change", args=[tx.pk])

    page = ops_client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="state"' not in html
    inline = page.context["inline_admin_formsets"][0]
    assert inline.formset.model.__name__ == "TransactionEvent"
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert len(inline.formset.forms) == 3  # received, attempt.started, failed
    assert "erp_rejected: material MAT-1 is blocked" in html
    assert 'name="events-0-message"' not in html  # rendered as text, never as inputs


def test_given_anyone_then_transactions_cannot_be_added_changed_or_deleted_in_admin(
    admin_client, failed_transaction
):
    tx = failed_transaction()
    before = SyncTransaction.objects.filter(pk=tx.pk).values().get()

    add = admin_client.get(reverse("admin:audit_synctransaction_add"))
    change = admin_client.post(
        reverse("admin:audit_synctransaction_change", args=[tx.pk]),
        {"state": "succeeded", "business_key": "changed"},
    )
    delete = admin_client.post(
        reverse("admin:audit_synctransaction_delete", args=[tx.pk]), {"post": "yes"}
    )
    listing = admin_client.get(CHANGELIST)

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert "delete_selected" not in listing.content.decode()
    assert SyncTransaction.objects.filter(pk=tx.pk).values().get() == before


def test_given_transaction_events_then_their_own_admin_is_not_registered(admin_client):
    from django.contrib import admin

    from syncplatform.audit.models import TransactionEvent

    assert not admin.site.is_registered(TransactionEvent)
