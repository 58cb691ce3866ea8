"""Exactly one active beat: a second one stands by until the first is gone."""

import pytest

from tests.support.processes import BIN, ServerProcess

pytestmark = pytest.mark.e2e


def start_beat(name, platform_env, logs_dir, tmp_path):
    return ServerProcess(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "syncplatform",
            "beat",
            "--loglevel",
            "INFO",
            "-s",
            str(tmp_path / f"{name}-schedule"),
            "--pidfile",
            "",
        ],
        env=platform_env,
        log_dir=logs_dir,
    )


def test_second_beat_stands_by_and_takes_over_when_the_first_dies(
    transactional_db, platform_env, logs_dir, tmp_path
):
    first = start_beat("beat-first", platform_env, logs_dir, tmp_path)
    second = None
    try:
        first.wait_log("beat lock acquired", timeout=30)
        second = start_beat("beat-second", platform_env, logs_dir, tmp_path)
        second.wait_log("another beat holds the lock; standing by", timeout=30)
        assert "beat lock acquired" not in second.log_path.read_text()

        first.kill()

        second.wait_log("beat lock acquired", timeout=30)
    finally:
        first.kill()
        if second:
            second.stop()
