"""The posting's hot path: few round trips per order, mappings from memory while unchanged.

Real SOAP to the sandbox ERP and real PostgreSQL (fixtures of the ERP value tests).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.mappings.models import SkuMapping
from tests.orders.test_orders_erp_value import (  # noqa: F401 - fixtures
    accepted_order,
    demo_web,
    post,
    sandbox,
    sandbox_erp,
)

# BEGIN/COMMIT of the claim and of the outcome included. The claim: the row, the
# order with its ERP endpoint and the mapping stamp, the slot taken with the
# attempt's start and its event (one statement); the handler: the lines; the
# outcome: the row's lease, the order, the slot freed with the row's success and
# its event (one statement).
MOST_STATEMENTS_PER_POSTING = 11


def statements_of_posting(order) -> list[str]:
    transaction_id = order.erp_transaction.pk
    with CaptureQueriesContext(connection) as queries:
        tx = run_transaction(transaction_id)
    assert tx.state == TransactionState.SUCCEEDED
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_posting_reads_the_order_once_and_mappings_only_by_their_stamp(demo_web):  # noqa: F811
    statements_of_posting(accepted_order(demo_web))  # the first fills the mapping cache

    statements = statements_of_posting(accepted_order(demo_web))

    assert len(statements) <= MOST_STATEMENTS_PER_POSTING, "\n".join(statements)
    assert sum('FROM "orders_order"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if "mappings_skumapping" in sql]
    reading_the_stamp = [sql for sql in statements if "mappings_mappingstamp" in sql]
    assert len(reading_the_stamp) == 1 and 'FROM "orders_order"' in reading_the_stamp[0]


@pytest.mark.django_db(transaction=True)
def test_a_mapping_changed_between_two_postings_applies_to_the_second(demo_web):  # noqa: F811
    first = accepted_order(demo_web)
    assert post(first).state == TransactionState.SUCCEEDED
    # the operator retires the demo SKU's mapping, as the admin saves it
    mapping = SkuMapping.objects.get(channel=demo_web, channel_sku="TSHIRT-BLK-M")
    mapping.is_active = False
    mapping.save()

    tx = post(accepted_order(demo_web))

    assert tx.state == TransactionState.FAILED
    assert tx.last_error_code == "mapping_missing"
    assert "sku TSHIRT-BLK-M" in tx.last_error_message
