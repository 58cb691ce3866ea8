"""The sandbox warehouse: an SFTP server and a simulated 3PL behind it (no Django).

For the embedded default (``make run``) and the tests; it needs no OS
install. Run ``python -m connectors.sandbox_warehouse --help``.

- ``SandboxSftpServer`` (``ssh_server``): paramiko SSH/SFTP on a loopback
  port, one user (authorized keys, optional password), its own persistent
  host key, one served folder it cannot be led out of (``confinement``,
  ``sftp_files``). RENAME refuses an existing target, as OpenSSH does.
- ``SimulatedWarehouse`` (``warehouse``): answers each 940 dropped in
  ``outbound`` with a 997 and, after a delay, a 945 (``shipments``); lists
  stock in 846s (``inventory``); remembers its counters in ``ledger``.

Folder layout under the root: ``outbound/`` (platform → warehouse, with the
warehouse's ``processed/`` and ``rejected/``), ``inbound/`` (warehouse →
platform), ``archive/`` and ``error/`` (the platform's, untouched here).
"""

from connectors.sandbox_warehouse.inventory import StockedProduct, StockLevel, write_846
from connectors.sandbox_warehouse.keys import (
    ensure_client_key,
    known_hosts_line,
    load_or_create_host_key,
    read_authorized_keys,
)
from connectors.sandbox_warehouse.settings import WarehouseSettings
from connectors.sandbox_warehouse.shipments import is_short_line, shipped_quantity
from connectors.sandbox_warehouse.ssh_server import SandboxSftpServer, SftpAccount
from connectors.sandbox_warehouse.warehouse import SimulatedWarehouse, prepare_root

__all__ = [
    "SandboxSftpServer",
    "SftpAccount",
    "SimulatedWarehouse",
    "StockLevel",
    "StockedProduct",
    "WarehouseSettings",
    "ensure_client_key",
    "is_short_line",
    "known_hosts_line",
    "load_or_create_host_key",
    "prepare_root",
    "read_authorized_keys",
    "shipped_quantity",
    "write_846",
]
