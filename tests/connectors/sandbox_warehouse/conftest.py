"""The sandbox SFTP server and simulated warehouse, started in-process on a free port.

Tests talk to it over real sockets with the project's ``SftpClient`` (host key
pinned, client key), and look at the served folder on disk to check what
the server did.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.edi import (
    CarrierRouting,
    EdiIdentity,
    Envelope,
    Party,
    QualifiedDate,
    ShippingOrder,
    ShippingOrderLine,
    write_940,
)
from connectors.sandbox_warehouse import (
    SandboxSftpServer,
    SftpAccount,
    SimulatedWarehouse,
    WarehouseSettings,
    ensure_client_key,
    load_or_create_host_key,
    prepare_root,
)
from connectors.sftp import RemoteFile, RemoteFolder, SftpClient, SftpEndpoint

PLATFORM = EdiIdentity("ZZ", "SYNCPLATFORM", "SYNCAPP")
WAREHOUSE = EdiIdentity("ZZ", "SANDBOX3PL", "SBX3PLAPP")


@dataclass
class RunningSandbox:
    server: SandboxSftpServer
    root: Path
    state: Path
    client_key_path: Path
    endpoint: SftpEndpoint

    def folder(self, folder: RemoteFolder | str) -> Path:
        return self.root / str(folder)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    root, state = tmp_path / "root", tmp_path / "state"
    prepare_root(root)
    client_key_path = tmp_path / "keys" / "client_key"
    account = SftpAccount("warehouse", (ensure_client_key(client_key_path),))
    server = SandboxSftpServer(root, load_or_create_host_key(state), account)
    server.start()
    endpoint = SftpEndpoint(
        host="127.0.0.1",
        port=server.port,
        username="warehouse",
        private_key=client_key_path.read_text(),
        known_hosts=server.known_hosts_line(),
        connect_timeout=5.0,
        operation_timeout=10.0,
        keepalive_seconds=0,
        settle_seconds=0.05,
    )
    yield RunningSandbox(server, root, state, client_key_path, endpoint)
    server.stop()


@pytest.fixture
def start_warehouse(sandbox: RunningSandbox) -> Iterator[Callable[..., SimulatedWarehouse]]:
    """Start the simulated warehouse on the sandbox root with fast test timings."""
    started: list[SimulatedWarehouse] = []

    def start(**overrides) -> SimulatedWarehouse:
        settings = replace(
            WarehouseSettings(
                identity=EdiIdentity("ZZ", "SANDBOX3PL"),
                partner=EdiIdentity("ZZ", "SYNCPLATFORM"),
                ship_delay=0.2,
                inventory_every=0,
                poll_seconds=0.05,
            ),
            **overrides,
        )
        warehouse = SimulatedWarehouse(sandbox.root, sandbox.state, settings)
        warehouse.start()
        started.append(warehouse)
        return warehouse

    yield start
    for warehouse in started:
        warehouse.stop()


def _shipping_order(number: str = "SO-1001", **changes) -> ShippingOrder:
    """A three-line order in the shape the platform sends (VN materials, a UPC-only line)."""
    order = ShippingOrder(
        depositor_order_number=number,
        purchase_order_number=f"WEB-{number}",
        parties=(
            Party(
                "ST",
                "Pat Doe",
                address_lines=("1 Main St",),
                city="Columbus",
                region="OH",
                postal_code="43004",
                country="US",
            ),
        ),
        dates=(QualifiedDate("10", date(2026, 11, 24)),),
        carrier=CarrierRouting(scac="UPSN", transportation_method="U", payment_method="PP"),
        lines=(
            ShippingOrderLine(
                Decimal(2), "EA", sku="MAT-100200", sku_qualifier="VN", line_number=1
            ),
            ShippingOrderLine(Decimal(1), "EA", upc="012345678905", line_number=2),
            ShippingOrderLine(
                Decimal(3), "PK", sku="MAT-300500", sku_qualifier="VN", line_number=4
            ),
        ),
    )
    return replace(order, **changes)


def _x12_940(orders: list[ShippingOrder], control_number: int = 41, usage: str = "P") -> bytes:
    envelope = Envelope(
        sender=PLATFORM,
        receiver=WAREHOUSE,
        interchange_control_number=control_number,
        group_control_number=control_number,
        prepared_at=datetime(2026, 11, 23, 10, 15),
        usage=usage,
    )
    return write_940(orders, envelope)


def _wait_for_files(
    client: SftpClient, folder: RemoteFolder, pattern: str, count: int = 1, timeout: float = 5.0
) -> list[RemoteFile]:
    """Poll the folder over SFTP until ``count`` files match; fail the test otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        ready = client.list_ready(folder, pattern)
        if len(ready) >= count:
            return ready
        if time.monotonic() > deadline:
            names = [remote.name for remote in client.list_ready(folder)]
            raise AssertionError(f"wanted {count} x {pattern} in {folder}, found {names}")
        time.sleep(0.05)


@pytest.fixture
def make_order() -> Callable[..., ShippingOrder]:
    """``make_order(number, **field changes)``: a project-written shipping order."""
    return _shipping_order


@pytest.fixture
def make_940() -> Callable[..., bytes]:
    """``make_940(orders, control_number=41, usage="P")``: the platform's 940 interchange."""
    return _x12_940


@pytest.fixture
def wait_for_files() -> Callable[..., list[RemoteFile]]:
    """``wait_for_files(client, folder, pattern, count=1, timeout=5)`` over SFTP."""
    return _wait_for_files
