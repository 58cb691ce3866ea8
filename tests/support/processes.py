"""Real server processes for end-to-end tests: ``bench.servers``, failing the test instead.

A server that exits early or never gets ready raises ``AssertionError`` with
the end of its log, so pytest reports it as the test's failure.
"""

import os
from collections.abc import Callable
from pathlib import Path

from bench import servers
from bench.servers import BIN, PYTHON, REPO, free_port

__all__ = ["BIN", "PYTHON", "REPO", "ServerProcess", "child_env", "free_port", "wait_until"]


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "condition",
):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    return servers.wait_until(
        predicate, timeout=timeout, interval=interval, what=what, failure=AssertionError
    )


class ServerProcess(servers.ServerProcess):
    def __init__(self, name: str, argv: list[str], *, env: dict, log_dir: Path):
        super().__init__(name, argv, env=env, log_dir=log_dir, failure=AssertionError, append=True)


def child_env(**overrides: str) -> dict:
    """This process's environment without pytest's own variables, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(overrides)
    return env
