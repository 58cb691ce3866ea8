"""An order stored while the broker is down is answered 202, and the sweeper posts it later.

Found from outside: during a RabbitMQ restart, 112 of 3,000 orders were stored,
then the publish after the commit raised and the client got a 500 for an order
that existed. The publish now fails quietly into the log; the row is the job.
"""

import pytest

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.orders.models import Order
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import BIN, ServerProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def web_server_without_broker(platform_env, logs_dir):
    """The web server with a broker address nobody listens on (RabbitMQ down)."""
    port, dead_broker = free_port(), free_port()
    server = ServerProcess(
        "web-no-broker",
        [str(BIN / "gunicorn"), "syncplatform.wsgi", "--bind", f"127.0.0.1:{port}"],
        env={
            **platform_env,
            "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{dead_broker}//",
        },
        log_dir=logs_dir,
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    yield base_url, server
    server.stop()


def test_an_order_stored_while_the_broker_is_down_is_accepted_then_posted(
    web_server_without_broker, demo_channel, start_worker, web_server
):
    web, server = web_server_without_broker

    response = post_order(web, demo_channel.api_key, canonical_order("E2E-NOBROKER"), "k-nb")

    assert response.status_code == 202, response.text
    order = Order.objects.get(pk=response.json()["id"])
    assert order.erp_transaction.state == TransactionState.RECEIVED
    assert "publish failed; the sweeper will publish it again" in server.log_tail(200)
    # the broker is back (the suite's RabbitMQ): the sweeper publishes, a worker posts
    start_worker()
    posted = wait_for_status(web_server, demo_channel.api_key, order.pk, "posted", sweep=True)
    assert posted["erp_document_number"]
    assert Order.objects.filter(channel_order_number="E2E-NOBROKER").count() == 1
    assert sweep_due_transactions() == 0
