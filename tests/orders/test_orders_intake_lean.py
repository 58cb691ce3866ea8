"""The intake's hot path: a new order costs few round trips to PostgreSQL.

The API key's look-up, then one database transaction: BEGIN, one statement for
the order, its lines, its posting transaction and that one's first event, the
available-to-sell mark, COMMIT (7 statements before the posting joined the order's).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncplatform.audit.models import SyncTransaction
from syncplatform.orders.models import Order
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db

MOST_STATEMENTS_PER_NEW_ORDER = 5


def test_a_new_order_is_stored_in_few_statements(post_order, published):
    # given
    post_order(canonical_order(), key="first")
    second = canonical_order()
    second["channel_order_number"] = "SECOND-1"

    # when
    with CaptureQueriesContext(connection) as queries:
        response = post_order(second, key="second")

    # then
    assert response.status_code == 202
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) <= MOST_STATEMENTS_PER_NEW_ORDER, "\n".join(statements)
    [insert] = [sql for sql in statements if 'INSERT INTO "orders_order"' in sql]
    assert 'INSERT INTO "audit_synctransaction"' in insert
    assert 'INSERT INTO "audit_transactionevent"' in insert
    order = Order.objects.get(channel_order_number="SECOND-1")
    posting = SyncTransaction.objects.about(order).get()
    assert posting.events.count() == 1
