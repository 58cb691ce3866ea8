"""Statements compiled once (syncplatform.core.prepared) give what the ORM gives.

Real PostgreSQL. The embedded default's end-to-end test runs the same posting
path on SQLite.
"""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from syncplatform.audit.choices import EventKind
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.core.prepared import (
    PreparedQuery,
    execute,
    insert_row,
    ride,
    save_fields,
    save_fields_and_insert,
)
from syncplatform.partners.models import ChannelConfig, ErpEndpoint, Partner

CHAIN = PreparedQuery(
    lambda pk: Partner.objects.select_related("channel_config__erp__erp_endpoint").filter(pk=pk)
)


def with_erp_timeout(pk):
    """A partner with its channel's ERP endpoint's timeout: a subquery read with the row."""
    endpoint = ErpEndpoint.objects.filter(partner_id=OuterRef("channel_config__erp_id"))
    return (
        Partner.objects.select_related("channel_config")
        .annotate(erp_timeout=Subquery(endpoint.values("timeout_seconds")[:1]))
        .filter(pk=pk)
    )


WITH_TIMEOUT = PreparedQuery(with_erp_timeout)
LOCKED = PreparedQuery(
    lambda pk: SyncTransaction.objects.select_for_update(skip_locked=True).filter(pk=pk)
)
OF_PARTNER = PreparedQuery(
    lambda partner_id, subject_id: SyncTransaction.objects.filter(
        partner_id=partner_id, subject_id=subject_id
    ),
    types=(int, int),
)


@pytest.fixture
def chain(db):
    erp = Partner.objects.create(code="erp-1", name="ERP one", kind="erp")
    ErpEndpoint.objects.create(
        partner=erp, wsdl_url="http://erp.test/?wsdl", password="s3cret", max_in_flight=7
    )
    shop = Partner.objects.create(code="shop-1", name="Shop one", kind="channel")
    ChannelConfig.objects.create(partner=shop, erp=erp, default_sold_to="OTC-1")
    lonely = Partner.objects.create(code="shop-2", name="Shop two", kind="channel")
    return shop, lonely


def test_a_prepared_select_related_gives_the_querysets_instances_and_their_relations(chain):
    shop, _ = chain
    expected = Partner.objects.select_related("channel_config__erp__erp_endpoint").get(pk=shop.pk)

    found = CHAIN.first(shop.pk)

    with CaptureQueriesContext(connection) as queries:
        endpoint = found.channel_config.erp.erp_endpoint
    assert queries.captured_queries == []  # the relations came with the row
    assert (found.pk, found.code, found.created_at) == (
        expected.pk,
        expected.code,
        expected.created_at,
    )
    assert found.channel_config.default_sold_to == "OTC-1"
    assert endpoint.max_in_flight == 7
    assert endpoint.password == "s3cret"  # the field's converter (decryption) ran
    assert found._state.adding is False and found._state.db == "default"


def test_an_annotation_comes_with_the_instance_as_the_querysets_own(chain):
    shop, lonely = chain
    ErpEndpoint.objects.update(timeout_seconds=42)

    found, without = WITH_TIMEOUT.first(shop.pk), WITH_TIMEOUT.first(lonely.pk)

    assert found.erp_timeout == 42 == with_erp_timeout(shop.pk).get().erp_timeout
    assert found.channel_config.default_sold_to == "OTC-1"
    assert without.erp_timeout is None  # no channel config, no ERP: the subquery's NULL


def test_each_run_takes_its_own_arguments_and_a_missing_row_is_none(chain):
    shop, lonely = chain

    assert CHAIN.first(lonely.pk).code == "shop-2"
    assert not hasattr(CHAIN.first(lonely.pk), "channel_config")  # reverse one-to-one: none
    assert CHAIN.first(shop.pk).code == "shop-1"
    assert CHAIN.first(10**9) is None
    assert CHAIN.run(10**9) == []


def test_two_arguments_go_to_their_own_places(chain):
    shop, lonely = chain
    for subject in (1, 2, 2):
        SyncTransaction.objects.create(
            kind="k", partner=shop, subject_id=subject, correlation_id="c"
        )

    assert [tx.subject_id for tx in OF_PARTNER.run(shop.pk, 2)] == [2, 2]
    assert [tx.subject_id for tx in OF_PARTNER.run(shop.pk, 1)] == [1]
    assert OF_PARTNER.run(lonely.pk, 2) == []
    with pytest.raises(TypeError, match="expected 2 arguments, got 1"):
        OF_PARTNER.run(shop.pk)


def test_an_argument_that_is_not_a_parameter_is_refused_when_compiled(db):
    # Django drops a range lookup that every value of a positive field matches.
    dropped = PreparedQuery(lambda low: SyncTransaction.objects.filter(attempts__gte=low - 40_000))
    # A literal equal to the stand-in would make its place ambiguous.
    ambiguous = PreparedQuery(
        lambda pk: SyncTransaction.objects.filter(pk=pk, subject_id=32_741 + 0 * pk)
    )

    for prepared in (dropped, ambiguous):
        with pytest.raises(ValueError, match="each argument must appear once as a parameter"):
            prepared.run(1)


@pytest.mark.django_db(transaction=True)
def test_select_for_update_is_compiled_only_inside_a_transaction_as_the_orm_requires():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    prepared = PreparedQuery(lambda pk: SyncTransaction.objects.select_for_update().filter(pk=pk))

    with pytest.raises(TransactionManagementError):
        prepared.first(row.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert prepared.first(row.pk).pk == row.pk
    assert "FOR UPDATE" in queries.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True)
def test_skip_locked_passes_over_a_row_another_session_holds():
    from django.db import connections

    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM audit_synctransaction WHERE id = %s FOR UPDATE", [row.pk]
            )
        with transaction.atomic():
            assert LOCKED.first(row.pk) is None
        other.rollback()
        with transaction.atomic():
            assert LOCKED.first(row.pk).pk == row.pk
    finally:
        other.close()


def test_save_fields_writes_only_the_named_fields_and_sends_the_save_signals(chain):
    endpoint = ErpEndpoint.objects.get(partner__code="erp-1")
    ErpEndpoint.objects.filter(pk=endpoint.pk).update(username="set-elsewhere")
    endpoint.password = "n3w"
    endpoint.timeout_seconds = 99  # changed in memory, not named: not written
    heard = []

    def listen(sender, instance, update_fields, created, **_):
        heard.append((instance.pk, update_fields, created))

    post_save.connect(listen, sender=ErpEndpoint)
    try:
        save_fields(endpoint, ["password"])
    finally:
        post_save.disconnect(listen, sender=ErpEndpoint)

    stored = ErpEndpoint.objects.get(pk=endpoint.pk)
    assert (stored.password, stored.timeout_seconds) == ("n3w", 15)
    assert stored.username == "set-elsewhere"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM partners_erpendpoint WHERE id = %s", [endpoint.pk])
        assert "n3w" not in cursor.fetchone()[0]  # encrypted as the ORM writes it
    assert heard == [(endpoint.pk, frozenset({"password"}), False)]


def test_save_fields_refreshes_auto_now_and_refuses_a_gone_row_or_an_unknown_field(db):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    before = row.updated_at
    row.state = "processing"

    save_fields(row, ["state", "updated_at"])

    stored = SyncTransaction.objects.get(pk=row.pk)
    assert stored.state == "processing" and stored.updated_at > before
    with pytest.raises(ValueError, match=r"no concrete fields \['colour'\]"):
        save_fields(row, ["state", "colour"])
    SyncTransaction.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        save_fields(row, ["state"])


def test_insert_row_stores_what_the_orm_would_and_sets_the_key(db):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    by_orm = TransactionEvent.objects.create(transaction=row, kind=EventKind.NOTE, message="m")

    event = insert_row(TransactionEvent(transaction=row, kind=EventKind.NOTE, message="m"))

    assert event.pk == by_orm.pk + 1 and event._state.adding is False
    columns = ("kind", "from_state", "to_state", "attempt", "duration_ms", "message", "excerpt")
    stored = TransactionEvent.objects.values(*columns)
    assert stored.get(pk=event.pk) == stored.get(pk=by_orm.pk)
    assert TransactionEvent.objects.get(pk=event.pk).at == event.at


def test_a_transition_writes_only_the_columns_it_changed(db):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c", business_key="B-1")
    row = SyncTransaction.objects.get(pk=row.pk)
    # Someone else corrects the business key meanwhile (the admin, a replay).
    SyncTransaction.objects.filter(pk=row.pk).update(business_key="B-1-corrected")

    with CaptureQueriesContext(connection) as queries:
        row.start_attempt(lease_seconds=60)

    update = next(q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"])
    assert '"state"' in update and '"attempts"' in update and '"business_key"' not in update
    if connection.vendor == "postgresql":  # the transition and its event: one statement
        assert len(queries.captured_queries) == 1 and "INSERT" in update, queries.captured_queries
    stored = SyncTransaction.objects.get(pk=row.pk)
    assert (stored.state, stored.attempts) == ("processing", 1)
    assert stored.business_key == "B-1-corrected"
    assert stored.lease_token == row.lease_token
    assert list(stored.events.values_list("kind", flat=True)) == [EventKind.ATTEMPT_STARTED]


def test_a_text_argument_goes_to_its_place_and_a_wrong_or_missing_one_is_refused(chain):
    by_code = PreparedQuery(lambda code: Partner.objects.filter(code=code), types=(str,))

    assert [partner.code for partner in by_code.run("shop-2")] == ["shop-2"]
    assert by_code.run("shop-9") == []
    with pytest.raises(TypeError, match="argument 1 must be str: 7"):
        by_code.run(7)
    with pytest.raises(TypeError, match="argument 1 must be int: None"):
        CHAIN.run(None)


def test_a_transition_of_a_row_gone_meanwhile_records_no_event(db):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c", business_key="B-2")
    row = SyncTransaction.objects.get(pk=row.pk)
    event = TransactionEvent(transaction=row, kind=EventKind.ATTEMPT_STARTED, message="m")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_synctransaction WHERE id = %s", [row.pk])

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        save_fields_and_insert(row, ["state", "updated_at"], event)

    assert event.pk is None
    assert not TransactionEvent.objects.filter(message="m").exists()


def run_with_guard(rider, guard_rows: int):
    """A host statement whose CTE ``guard`` returns ``guard_rows`` rows, the rider in its WITH."""
    with connection.cursor() as cursor:
        execute(
            cursor,
            f"WITH guard AS (SELECT n FROM generate_series(1, %s) AS n), {rider.ctes} "  # noqa: S608
            f"SELECT (SELECT count(*) FROM guard){rider.select}",
            [guard_rows, *rider.params],
        )
        return cursor.fetchone()


@pytest.mark.parametrize("guard_rows", [1, 0])
def test_a_rider_writes_its_change_and_row_only_when_its_guard_returned_a_row(db, guard_rows):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c", business_key="B-3")
    row = SyncTransaction.objects.get(pk=row.pk)
    row.state = "processing"
    event = TransactionEvent(transaction=row, kind=EventKind.ATTEMPT_STARTED, message="ride")
    heard = []

    def listen(sender, instance, update_fields, **_):
        heard.append((instance.pk, update_fields))

    post_save.connect(listen, sender=SyncTransaction)
    try:
        rider = ride(row, ["state", "updated_at"], event, when="guard")
        (guarded, inserted) = run_with_guard(rider, guard_rows)
        landed = rider.landed(inserted)
    finally:
        post_save.disconnect(listen, sender=SyncTransaction)

    stored = SyncTransaction.objects.get(pk=row.pk)
    if guard_rows:
        assert landed and event.pk == inserted and event._state.adding is False
        assert stored.state == "processing"
        assert list(stored.events.values_list("message", flat=True)) == ["ride"]
        assert heard == [(row.pk, frozenset({"state", "updated_at"}))]
    else:
        assert (guarded, inserted, landed, event.pk) == (0, None, False, None)
        assert stored.state == "received" and not stored.events.exists()
        assert heard == []
