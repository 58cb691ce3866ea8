"""The loopback OpenSSH server started by deploy/local/sshd.sh, as seen by tests.

Tests play the warehouse by writing and reading files directly on disk under
``TEST_SFTP_ROOT`` (the server's SFTP root) and talk to the server over real
sockets with ``SftpClient``.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.sftp import RemoteFolder, SftpEndpoint
from tests.support.sftp import SFTP_VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[3]
SSHD_SCRIPT = REPO_ROOT / "deploy" / "local" / "sshd.sh"


@dataclass(frozen=True)
class TestSshd:
    """Where the test sshd listens and where its SFTP root is on disk."""

    __test__ = False  # not a test class, despite the name

    host: str
    port: int
    username: str
    client_key_path: Path
    host_key_line: str
    root: Path

    def folder(self, folder: RemoteFolder) -> Path:
        return self.root / folder.value

    def run_script(self, command: str) -> subprocess.CompletedProcess:
        """Run ``sshd.sh command`` against this server's state folder and port."""
        environment = {
            **os.environ,
            "SYNC_SERVICES_DIR": str(self.root.parents[1]),
            "SYNC_SSHD_PORT": str(self.port),
        }
        return subprocess.run(
            ["bash", str(SSHD_SCRIPT), command],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="session")
def sshd() -> TestSshd:
    missing = [name for name in SFTP_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run under `make test` or start "
            "deploy/local/sshd.sh and eval its output"
        )
    return TestSshd(
        host=os.environ["TEST_SFTP_HOST"],
        port=int(os.environ["TEST_SFTP_PORT"]),
        username=os.environ["TEST_SFTP_USER"],
        client_key_path=Path(os.environ["TEST_SFTP_KEY"]),
        host_key_line=os.environ["TEST_SFTP_HOST_KEY"],
        root=Path(os.environ["TEST_SFTP_ROOT"]),
    )


@pytest.fixture
def endpoint(sshd: TestSshd) -> SftpEndpoint:
    """An endpoint for the test server with short waits (tests override fields with replace)."""
    return SftpEndpoint(
        host=sshd.host,
        port=sshd.port,
        username=sshd.username,
        private_key=sshd.client_key_path.read_text(),
        known_hosts=sshd.host_key_line,
        connect_timeout=5.0,
        operation_timeout=10.0,
        keepalive_seconds=5,
        settle_seconds=0.3,
    )


@pytest.fixture
def empty_folders(sshd: TestSshd):
    """The four folders start empty, dot-files included (server tests use this)."""
    for folder in RemoteFolder:
        for path in sshd.folder(folder).iterdir():
            path.unlink()
    yield
