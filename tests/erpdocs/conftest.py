"""Fixtures for the ERP document services: the real sandbox ERP over HTTP, PostgreSQL.

The sandbox ERP runs as a real server for the session (its own SQLite store);
nothing reaches the broker (``send_task`` is recorded, see ``published``). An
order here is posted to the sandbox for real (SOAP), so it has the sales
order and delivery numbers the ERP gave it; its shipment comes from a real 945
applied by fulfilment.
"""

import json
import uuid

import pytest
import requests

from syncplatform.audit.runner import run_transaction
from syncplatform.erpdocs.models import IdocConfig
from syncplatform.fulfillment.models import WarehouseConfig
from syncplatform.fulfillment.services import receive_file, send_shipping_orders
from syncplatform.mappings.choices import MappingKind
from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.orders.models import ERP_ORDER_POST, Order
from syncplatform.orders.services import IntakeRequest, accept_order
from syncplatform.partners.models import ChannelConfig, ErpEndpoint
from tests.fulfillment.fulfillment_files import OUR_ID, WAREHOUSE_ID, file_945, shipping_advice
from tests.support.orders import canonical_order, with_lines
from tests.support.processes import PYTHON, REPO, ServerProcess, child_env, free_port

DEMO = REPO / "fixtures" / "demo"
ERP_PORT, ERP_PARTNER = "SAPSBX", "SBXCLNT100"


class Sandbox:
    """The sandbox ERP as a test talks to it: its URLs and its settings."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.wsdl_url = f"{base_url}/sap/SalesOrder?wsdl"

    def configure(self, **changes) -> dict:
        response = requests.post(f"{self.base_url}/_sandbox/config", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def idocs(self, message_id: str) -> list[dict]:
        response = requests.get(
            f"{self.base_url}/_sandbox/idocs", params={"message_id": message_id}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()["idocs"] if isinstance(response.json(), dict) else response.json()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Sandbox:
    port = free_port()
    folder = tmp_path_factory.mktemp("sandbox-erp")
    server = ServerProcess(
        "sandbox-erp",
        [PYTHON, "-m", "connectors.erp.sandbox", "--bind", f"127.0.0.1:{port}",
         "--store", str(folder / "erp.sqlite3")],
        env=child_env(),
        log_dir=folder,
    )  # fmt: skip
    erp = Sandbox(f"http://127.0.0.1:{port}")
    server.wait_http(f"{erp.base_url}/_sandbox/health")
    yield erp
    server.stop()


@pytest.fixture
def sandbox_erp(sandbox):
    """The sandbox without faults, processing at once, pushing invoices nowhere."""
    calm = {"latency_ms": 0, "fault_rate": 0.0, "outage": False, "processing_delay_ms": 0}
    sandbox.configure(**calm, invoice_push_url="")
    yield sandbox
    sandbox.configure(**calm)


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Every test here records what it would publish instead of sending it."""


@pytest.fixture
def idoc_config(channel, warehouse, erp, sandbox_erp) -> IdocConfig:
    """demo-erp takes IDocs at the sandbox; demo-web posts to it; the demo mappings."""
    ErpEndpoint.objects.create(partner=erp, wsdl_url=sandbox_erp.wsdl_url, timeout_seconds=10)
    ChannelConfig.objects.create(partner=channel, erp=erp, default_location="WEB-DC")
    for kind in MappingKind.values:
        import_mappings(kind, (DEMO / f"{kind}.csv").read_text())
    config = IdocConfig.objects.create(
        partner=erp,
        idoc_url=sandbox_erp.base_url,
        erp_port=ERP_PORT,
        erp_partner=ERP_PARTNER,
        inbound_username="sap-push",
    )
    config.set_inbound_password("push-secret-1")
    config.save()
    return config


@pytest.fixture
def erp_order(idoc_config, channel):
    """``erp_order(number, lines=None)``: an order accepted and posted to the sandbox for real."""

    def create(number: str, *, lines: list | None = None) -> Order:
        canonical = canonical_order(number)
        if lines is not None:
            canonical = with_lines(canonical, lines)
        request = IntakeRequest(
            channel=channel,
            idempotency_scope="erpdocs-tests",
            idempotency_key=f"key-{number}",
            body=json.dumps(canonical).encode(),
            correlation_id=uuid.uuid4().hex,
        )
        order = accept_order(request, canonical).order
        [tx_id] = order_transaction_ids(order)
        tx = run_transaction(tx_id)
        assert tx.state == "succeeded", tx.last_error_message
        return Order.objects.get(pk=order.pk)

    return create


def order_transaction_ids(order: Order) -> list[int]:
    from syncplatform.audit.models import SyncTransaction

    return list(
        SyncTransaction.objects.about(order)
        .filter(kind=ERP_ORDER_POST)
        .values_list("pk", flat=True)
    )


@pytest.fixture
def warehouse_config(warehouse, idoc_config) -> WarehouseConfig:
    """demo-3pl, never contacted over SFTP here: files are handed to ``receive_file``."""
    return WarehouseConfig.objects.create(
        partner=warehouse,
        sftp_host="sftp.invalid",
        sftp_username="warehouse",
        sftp_known_hosts="sftp.invalid ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKEMTabZlNAyil7AYIPmCRlXDLWBqqnNk1pUGu2vwVbD",
        our_isa_id=OUR_ID.id,
        their_isa_id=WAREHOUSE_ID.id,
    )


@pytest.fixture
def shipped_order(erp_order, warehouse_config):
    """``shipped_order(number, shipped=None)``: posted to the ERP, sent in a 940, and shipped
    by a 945 that fulfilment applied (``shipped``: quantity per line number)."""
    counter = iter(range(700, 10_000))

    def ship(number: str, *, shipped: dict[int, int] | None = None, **options) -> Order:
        order = erp_order(number, **options)
        send_shipping_orders(warehouse_config.partner_id)
        control = next(counter)
        advice = shipping_advice(order, shipped=shipped, shipment_id=f"SHP-{number}")
        receive_file(warehouse_config, f"945_{control}.edi", file_945([advice], control))
        return Order.objects.get(pk=order.pk)

    return ship


@pytest.fixture
def operator(db):
    """A staff user with the operations group's rights here (given directly: transactional
    tests empty the tables, and with them the groups the migrations made)."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_synctransaction",
                "operate_synctransaction",
                *(f"{verb}_{model}" for verb in ("view", "change") for model in ERPDOCS_MODELS),
            ]
        )
    )
    return user


ERPDOCS_MODELS = (
    "idocconfig",
    "idocpackage",
    "idoc",
    "posting",
    "stockcomparison",
    "inboundidocfile",
    "invoice",
)
