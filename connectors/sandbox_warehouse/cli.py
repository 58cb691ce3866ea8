"""``python -m connectors.sandbox_warehouse``: the SFTP server and the simulated 3PL.

On start it prints, on stdout, lines a shell can ``eval`` (values quoted)::

    SANDBOX_SFTP_HOST=127.0.0.1
    SANDBOX_SFTP_PORT=8022
    SANDBOX_SFTP_USER=warehouse
    SANDBOX_SFTP_KNOWN_HOSTS='[127.0.0.1]:8022 ssh-ed25519 AAAA...'
    SANDBOX_SFTP_KEY=/path/of/client_key        (only with --make-client-key)

and writes the same lines to ``<state>/env`` and the known_hosts line alone
to ``<state>/known_hosts``. ``--prepare-only`` does all of that (keys, folders,
files, lines) and exits, so a launcher can configure the client before the
server runs. Logs go to stderr. SIGTERM or Ctrl-C stops it.
Exit codes: 0 stopped normally, 2 bad configuration or the port is taken.
"""

import argparse
import logging
import os
import shlex
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

from connectors.edi import EdiIdentity
from connectors.edi.shipping import CarrierRouting
from connectors.errors import ConfigError
from connectors.sandbox_warehouse.inventory import StockedProduct
from connectors.sandbox_warehouse.keys import (
    ensure_client_key,
    known_hosts_line,
    load_or_create_host_key,
    read_authorized_keys,
)
from connectors.sandbox_warehouse.settings import WarehouseSettings
from connectors.sandbox_warehouse.ssh_server import SandboxSftpServer, SftpAccount
from connectors.sandbox_warehouse.warehouse import SimulatedWarehouse, prepare_root

PASSWORD_VARIABLE = "SANDBOX_SFTP_PASSWORD"  # noqa: S105 (a variable name, not a secret)
log = logging.getLogger("connectors.sandbox_warehouse")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sandbox_warehouse",
        description=(
            "Serve ROOT over SFTP to one user and play a 3PL warehouse on it: every 940 "
            "put in ROOT/outbound is answered in ROOT/inbound with a 997 at once and a "
            "945 after --ship-delay; an 846 lists stock every --inventory-every seconds. "
            "Read files move to outbound/processed (unreadable ones to outbound/rejected)."
        ),
        epilog=(
            "On start it prints SANDBOX_SFTP_HOST, _PORT, _USER, _KNOWN_HOSTS (the line to pin) "
            "and, with --make-client-key, _KEY as shell-quoted NAME=value lines, also written "
            "to STATE/env (and the known_hosts line to STATE/known_hosts). Replies to a 940 "
            "swap the 940's own envelope identities; --our-id/--partner-id address the 846s. "
            "Exit 2 on a bad configuration or a taken port; SIGTERM or Ctrl-C stops it."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    server = parser.add_argument_group("SFTP server")
    server.add_argument("--bind", default="127.0.0.1:8022", help="HOST:PORT to listen on")
    server.add_argument("--root", required=True, type=Path, help="folder served as '/'")
    server.add_argument(
        "--state", required=True, type=Path, help="folder for the host key, counters, env"
    )
    server.add_argument("--user", default="warehouse", help="the one SFTP user name")
    server.add_argument(
        "--authorized-key",
        action="append",
        default=[],
        metavar="KEY",
        help="public key line or file of them allowed to log in (repeatable)",
    )
    server.add_argument(
        "--make-client-key",
        type=Path,
        metavar="PATH",
        help="create an Ed25519 key pair PATH + PATH.pub if missing, and authorize it",
    )
    server.add_argument(
        "--password",
        help=f"also allow this password; prefer the {PASSWORD_VARIABLE} environment variable",
    )
    server.add_argument(
        "--prepare-only",
        action="store_true",
        help="create keys, folders and <state>/env, print the lines, and exit",
    )
    warehouse = parser.add_argument_group("simulated warehouse")
    warehouse.add_argument("--ship-delay", type=float, default=5.0, help="seconds to the 945")
    warehouse.add_argument(
        "--short-share",
        type=float,
        default=0.0,
        help="share of lines shipped one unit short (0..1), the same lines per order number",
    )
    warehouse.add_argument(
        "--inventory-every", type=float, default=60.0, help="seconds between 846s (0: none)"
    )
    warehouse.add_argument("--poll-seconds", type=float, default=1.0, help="outbound poll")
    warehouse.add_argument("--our-id", default="SANDBOX3PL", help="warehouse ISA06/GS02")
    warehouse.add_argument("--our-qualifier", default="ZZ", help="warehouse ISA05")
    warehouse.add_argument("--partner-id", default="SYNCPLATFORM", help="platform ISA08/GS03")
    warehouse.add_argument("--partner-qualifier", default="ZZ", help="platform ISA07")
    warehouse.add_argument(
        "--x12-version", default="004010", help="GS08 of 846s (replies use the 940's)"
    )
    warehouse.add_argument("--carrier-scac", default="SBXP", help="SCAC when a 940 names none")
    warehouse.add_argument(
        "--transportation-method", default="U", help="W2701 when a 940 names none"
    )
    warehouse.add_argument(
        "--seed-sku",
        action="append",
        default=[],
        metavar="[QUALIFIER:]ID[/UNIT]",
        help="product to list in 846s before any 940 names it, e.g. VN:MAT-100200/EA "
        "(repeatable, or comma-separated)",
    )
    warehouse.add_argument(
        "--starting-stock", default="100", help="quantity on hand per product before shipping"
    )
    warehouse.add_argument("--warehouse-name", default="SANDBOX 3PL", help="N1*WH name in 846s")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING...")
    return parser.parse_args(argv)


def warehouse_settings(arguments: argparse.Namespace) -> WarehouseSettings:
    """The warehouse's settings from the command line; ``ConfigError`` when one is wrong."""
    try:
        seeds = tuple(
            StockedProduct.parse(text)
            for option in arguments.seed_sku
            for text in option.split(",")
            if text.strip()
        )
        starting_stock = Decimal(arguments.starting_stock)
    except (ValueError, InvalidOperation) as exc:
        raise ConfigError(f"bad --seed-sku or --starting-stock: {exc}") from None
    return WarehouseSettings(
        identity=EdiIdentity(arguments.our_qualifier, arguments.our_id),
        partner=EdiIdentity(arguments.partner_qualifier, arguments.partner_id),
        ship_delay=arguments.ship_delay,
        short_share=arguments.short_share,
        inventory_every=arguments.inventory_every,
        poll_seconds=arguments.poll_seconds,
        carrier=CarrierRouting(
            scac=arguments.carrier_scac,
            transportation_method=arguments.transportation_method,
            payment_method="PP",
        ),
        seed_products=seeds,
        starting_stock=starting_stock,
        warehouse_name=arguments.warehouse_name,
        version=arguments.x12_version,
    )


def sftp_account(arguments: argparse.Namespace) -> SftpAccount:
    keys = [key for source in arguments.authorized_key for key in read_authorized_keys(source)]
    if arguments.make_client_key:
        keys.append(ensure_client_key(arguments.make_client_key))
    password = arguments.password or os.environ.get(PASSWORD_VARIABLE)
    if not keys and not password:
        raise ConfigError("give --authorized-key, --make-client-key or a password")
    return SftpAccount(arguments.user, tuple(keys), password)


def bind_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"--bind {text!r} is not HOST:PORT")
    return host, int(port)


def handshake_lines(
    arguments: argparse.Namespace, host: str, port: int, host_known: str
) -> list[str]:
    """``NAME=value`` lines (shell-quoted) that tell a launcher how to connect."""
    values = {
        "SANDBOX_SFTP_HOST": host,
        "SANDBOX_SFTP_PORT": str(port),
        "SANDBOX_SFTP_USER": arguments.user,
        "SANDBOX_SFTP_KNOWN_HOSTS": host_known,
    }
    if arguments.make_client_key:
        values["SANDBOX_SFTP_KEY"] = str(arguments.make_client_key.resolve())
    return [f"{name}={shlex.quote(value)}" for name, value in values.items()]


def announce(arguments: argparse.Namespace, lines: list[str], host_known: str) -> None:
    state = arguments.state
    _write_whole(state / "known_hosts", host_known + "\n")
    _write_whole(state / "env", "".join(f"{line}\n" for line in lines))
    print("\n".join(lines), flush=True)


def _write_whole(path: Path, text: str) -> None:
    """Replace ``path`` atomically: a launcher polling for it never reads half."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        return _run(arguments)
    except ConfigError as exc:
        print(f"sandbox warehouse: {exc}", file=sys.stderr)
        return 2


def _run(arguments: argparse.Namespace) -> int:
    host, port = bind_address(arguments.bind)
    arguments.state.mkdir(parents=True, exist_ok=True)
    prepare_root(arguments.root)
    settings = warehouse_settings(arguments)
    account = sftp_account(arguments)
    host_key = load_or_create_host_key(arguments.state)
    if arguments.prepare_only:
        if port == 0:
            raise ConfigError("--prepare-only needs a fixed port in --bind")
        host_known = known_hosts_line(host, port, host_key)
        announce(arguments, handshake_lines(arguments, host, port, host_known), host_known)
        return 0
    _configure_logging(arguments.log_level)
    server = SandboxSftpServer(arguments.root, host_key, account, host=host, port=port)
    try:
        server.start()
    except OSError as exc:
        print(f"sandbox warehouse: cannot listen on {arguments.bind}: {exc}", file=sys.stderr)
        return 2
    warehouse = SimulatedWarehouse(arguments.root, arguments.state, settings)
    warehouse.start()
    host_known = server.known_hosts_line()
    announce(arguments, handshake_lines(arguments, host, server.port, host_known), host_known)
    _wait_for_signal()
    log.info("stopping")
    warehouse.stop()
    server.stop()
    return 0


def _configure_logging(level: str) -> None:
    """Only for a serving process: --prepare-only and --help leave logging alone."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s sandbox-warehouse %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # paramiko reports every client hang-up as an error; only its failures matter here.
    if level.upper() != "DEBUG":
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def _wait_for_signal() -> None:
    stopped = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopped.set())
    while not stopped.wait(1.0):
        pass
