"""``python -m connectors.sandbox_warehouse`` as a launcher runs it.

The serving tests run a real child process; --help and --prepare-only, which
only print and write files, call ``main`` in this process.
"""

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.sandbox_warehouse.cli import main
from connectors.sftp import RemoteFolder, SftpClient, SftpEndpoint

REPO_ROOT = Path(__file__).resolve().parents[3]
COMMAND = [sys.executable, "-m", "connectors.sandbox_warehouse"]


def run_command(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def handshake(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines, read the way a shell's ``eval`` would."""
    pairs = (shlex.split(line)[0].split("=", 1) for line in text.splitlines() if "=" in line)
    return {name: value for name, value in pairs if name.startswith("SANDBOX_SFTP_")}


def test_given_help_when_asked_then_every_option_is_documented(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for option in (
        "--bind", "--root", "--state", "--user", "--authorized-key", "--make-client-key",
        "--password", "--prepare-only", "--ship-delay", "--short-share", "--inventory-every",
        "--our-id", "--partner-id", "--carrier-scac", "--seed-sku", "--starting-stock",
    ):  # fmt: skip
        assert option in shown


def test_given_prepare_only_when_run_twice_then_keys_and_pinned_line_are_made_once_and_kept(
    tmp_path, capsys
):
    arguments = (
        "--bind", "127.0.0.1:8022", "--root", str(tmp_path / "root"),
        "--state", str(tmp_path / "state"),
        "--make-client-key", str(tmp_path / "keys" / "client"), "--prepare-only",
    )  # fmt: skip

    first_code = main(list(arguments))
    first_output = capsys.readouterr().out
    key_text = (tmp_path / "keys" / "client").read_text()
    second_code = main(list(arguments))

    assert (first_code, second_code) == (0, 0)
    told = handshake(first_output)
    assert told["SANDBOX_SFTP_KNOWN_HOSTS"].startswith("[127.0.0.1]:8022 ssh-ed25519 AAAA")
    assert told["SANDBOX_SFTP_PORT"] == "8022"
    assert told["SANDBOX_SFTP_USER"] == "warehouse"
    assert Path(told["SANDBOX_SFTP_KEY"]).read_text() == key_text
    assert handshake(capsys.readouterr().out) == told
    assert handshake((tmp_path / "state" / "env").read_text()) == told
    known_hosts = (tmp_path / "state" / "known_hosts").read_text()
    assert known_hosts == told["SANDBOX_SFTP_KNOWN_HOSTS"] + "\n"
    assert (tmp_path / "keys" / "client").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys" / "client.pub").read_text().startswith("ssh-ed25519 AAAA")
    assert sorted(os.listdir(tmp_path / "root")) == ["archive", "error", "inbound", "outbound"]


def test_given_no_way_to_log_in_when_started_then_it_refuses_with_exit_code_2(tmp_path, capsys):
    code = main(["--root", str(tmp_path / "root"), "--state", str(tmp_path / "state")])

    assert code == 2
    assert "--authorized-key" in capsys.readouterr().err


def test_given_the_server_process_when_a_940_is_put_then_it_answers_and_stops_on_sigterm(
    tmp_path, make_order, make_940
):
    port = free_port()
    process = subprocess.Popen(
        [*COMMAND, "--bind", f"127.0.0.1:{port}", "--root", str(tmp_path / "root"),
         "--state", str(tmp_path / "state"), "--make-client-key", str(tmp_path / "client"),
         "--ship-delay", "0.2", "--poll-seconds", "0.05", "--inventory-every", "0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        told = handshake(process.stdout.readline() + "".join(
            process.stdout.readline() for _ in range(4)))  # fmt: skip
        endpoint = SftpEndpoint(
            host=told["SANDBOX_SFTP_HOST"],
            port=int(told["SANDBOX_SFTP_PORT"]),
            username=told["SANDBOX_SFTP_USER"],
            private_key=Path(told["SANDBOX_SFTP_KEY"]).read_text(),
            known_hosts=told["SANDBOX_SFTP_KNOWN_HOSTS"],
            connect_timeout=5.0,
            settle_seconds=0.05,
        )
        with SftpClient(endpoint) as client:
            client.put(RemoteFolder.OUTBOUND, "940_000000061.edi", make_940([make_order()], 61))
            deadline = time.monotonic() + 10
            while len(client.list_ready(RemoteFolder.INBOUND, "*.edi")) < 2:
                assert time.monotonic() < deadline, "no 997 and 945 from the child process"
                time.sleep(0.05)
            names = sorted(r.name[:3] for r in client.list_ready(RemoteFolder.INBOUND))
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)

    assert names == ["945", "997"]
    assert process.returncode == 0, errors
    assert "stopping" in errors


def test_given_a_taken_port_when_started_then_it_says_so_with_exit_code_2(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_command("--bind", f"127.0.0.1:{port}", "--root", str(tmp_path / "root"),
                             "--state", str(tmp_path / "state"),
                             "--make-client-key", str(tmp_path / "client"))  # fmt: skip

    assert result.returncode == 2
    assert "cannot listen" in result.stderr
