"""Orders accepted through the intake service, for benchmarks that start from ``received``.

Import only after ``django.setup()``.
"""

import json
import uuid

from bench.servers import REPO
from connectors.erp.models import SalesOrder
from syncplatform.orders.api.serializers import CanonicalOrderSerializer
from syncplatform.orders.services import IntakeRequest, accept_order, build_sales_order
from syncplatform.partners.models import Partner

DEMO_ORDER = REPO / "fixtures" / "demo" / "order.json"


def accept_demo_orders(count: int, channel_code: str = "demo-web") -> list[SalesOrder]:
    """Accept ``count`` copies of the demo order under distinct numbers and keys.

    Each goes through ``accept_order`` exactly as an API call would (so each
    is also published to the realtime queue after its commit). Returns the
    ERP sales order the worker will build for each, in acceptance order.
    """
    channel = Partner.objects.get(code=channel_code)
    template = json.loads(DEMO_ORDER.read_text())
    sales_orders = []
    for sequence in range(count):
        number = f"BENCH-{sequence:07d}"
        document = {**template, "channel_order_number": number}
        serializer = CanonicalOrderSerializer(data=document)
        serializer.is_valid(raise_exception=True)
        result = accept_order(
            IntakeRequest(
                channel=channel,
                idempotency_scope="bench:seed",
                idempotency_key=number,
                body=json.dumps(document).encode(),
                correlation_id=uuid.uuid4().hex,
            ),
            serializer.validated_data,
        )
        sales_orders.append(build_sales_order(result.order))
    return sales_orders
