"""The intake baseline: the same request handling as the real intake, then 3 plain INSERTs.

Same DRF ``APIView`` stack, middleware, ``ApiKeyAuthentication``,
Idempotency-Key check and ``CanonicalOrderSerializer`` as
``OrderIntakeView``; what differs is only the storage: three INSERTs in one
database transaction into tables that carry nothing but a primary key (no
idempotency look-ups, no audit transaction, no publish to the broker). The
real intake's cost above this is what the platform adds. bench/intake.py
creates the three tables with raw SQL; they are never in the project's migrations.
"""

from django.db import connection, transaction
from rest_framework.response import Response
from rest_framework.views import APIView

from syncplatform.orders.api.views import require_idempotency_key, validate_canonical
from syncplatform.partners.api.authentication import ApiKeyAuthentication


class BaselineIntakeView(APIView):
    authentication_classes = [ApiKeyAuthentication]

    def post(self, request):
        key = require_idempotency_key(request.headers.get("Idempotency-Key"))
        canonical = validate_canonical(request.data)
        first_line = canonical["lines"][0]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_baseline_order (channel_order_number, idempotency_key,"
                " grand_total) VALUES (%s, %s, %s) RETURNING id",
                [canonical["channel_order_number"], key, canonical["totals"]["grand_total"]],
            )
            order_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO bench_baseline_line (order_id, sku, quantity, unit_price)"
                " VALUES (%s, %s, %s, %s)",
                [order_id, first_line["sku"], first_line["quantity"], first_line["unit_price"]],
            )
            cursor.execute(
                "INSERT INTO bench_baseline_event (order_id, message) VALUES (%s, %s)",
                [order_id, f"order {canonical['channel_order_number']} received"],
            )
        return Response({"id": order_id, "status": "received"}, status=202)
