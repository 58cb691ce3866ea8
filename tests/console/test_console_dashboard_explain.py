"""The dashboard stays cheap on a large transaction table: no query of it scans the table.

Seeds 200,000 transactions (a few failed, retrying or waiting, as in production,
where almost all have succeeded) over about two days, ANALYZEs, then asks
PostgreSQL for the plan of every query the dashboard, the failure groups and an
hourly rollup send, and fails on any sequential scan of the transaction table.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncplatform.console.charts import dashboard_charts
from syncplatform.console.dashboard import ORDER_POSTING, read_tiles
from syncplatform.console.groups import failure_groups
from syncplatform.console.rollup import HOUR, floor_hour, roll_up_hour, transactions_received_in

pytestmark = pytest.mark.django_db

TABLE = "audit_synctransaction"
ROWS = 200_000

SEED = f"""
INSERT INTO {TABLE} (kind, business_key, correlation_id, idempotency_key, state, attempts,
    attempts_before_replay, last_error_code, last_error_message, created_at, updated_at,
    finished_at, next_attempt_at)
SELECT
    CASE WHEN i % 10 = 0 THEN 'edi.945.in' ELSE '{ORDER_POSTING}' END,
    'K-' || i, 'c-' || i, '',
    CASE WHEN i % 2000 = 0 THEN 'failed' WHEN i % 2000 = 1 THEN 'retrying'
         WHEN i % 2000 = 2 THEN 'received' ELSE 'succeeded' END,
    1, 0,
    CASE WHEN i % 2000 = 0 THEN 'mapping_missing' ELSE '' END,
    CASE WHEN i % 2000 = 0 THEN 'missing mappings for channel demo-web: sku S-' || (i % 7)
         ELSE '' END,
    now() - i * interval '1 second', now(),
    now() - i * interval '1 second' + interval '2 seconds',
    CASE WHEN i % 2000 IN (1, 2) THEN now() ELSE NULL END
FROM generate_series(1, {ROWS}) AS i
"""  # noqa: S608 - our own constants, no input


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_no_dashboard_query_scans_the_transaction_table():
    if connection.vendor != "postgresql":
        pytest.fail("the EXPLAIN test needs PostgreSQL: run it with `make test`")
    with connection.cursor() as cursor:
        cursor.execute(SEED)
        cursor.execute(f"ANALYZE {TABLE}")
    now = timezone.now()

    with CaptureQueriesContext(connection) as captured:
        read_tiles()
        failure_groups()
        dashboard_charts("7d", ORDER_POSTING, now)
        roll_up_hour(floor_hour(now) - 3 * HOUR, now)

    # the captured SQL has its parameters in already; EXPLAIN each as it was sent
    asked = [q["sql"] for q in captured.captured_queries if TABLE in q["sql"]]
    assert len(asked) >= 5, asked  # failing, oldest, not posted, 997s, schedules, groups
    plans = {sql: plan_of(sql) for sql in asked if sql.lstrip().upper().startswith("SELECT")}
    # the rollup reads through a server-side cursor, which the capture does not see
    hour_rows = transactions_received_in(floor_hour(now) - 3 * HOUR)
    plans[str(hour_rows.query)] = hour_rows.explain()
    scans = {sql: plan for sql, plan in plans.items() if re.search(rf"Seq Scan on {TABLE}\b", plan)}
    assert not scans, "\n\n".join(f"{sql}\n{plan}" for sql, plan in scans.items())
    assert any("tx_due_idx" in plan for plan in plans.values())
    assert "Index Scan using audit_synctransaction_created_at" in plans[str(hour_rows.query)]
