"""The embedded side of erp_peak: its environment, the Procfile's worker, its verdicts."""

import json

import pytest

from bench.embedded_stack import (
    RESULT_PREFIX,
    EmbeddedRun,
    embedded_env,
    parse_result,
    procfile_command,
    realtime_threads,
)
from bench.erp_peak import MAX_IN_FLIGHT, embedded_problems
from bench.servers import BIN, BenchSetupError


def test_embedded_env_drops_every_pointer_to_postgresql_and_rabbitmq(tmp_path):
    base = {
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
        "SYNC_MIGRATE_DATABASE_URL": "postgres://o:p@127.0.0.1:5432/db",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "SYNC_BROKER_DIR": "/elsewhere",
        "SYNC_VAR_DIR": "/var/other",
        "PATH": "/usr/bin",
    }

    env = embedded_env(tmp_path, base)

    for name in ("DATABASE_URL", "SYNC_MIGRATE_DATABASE_URL", "CELERY_BROKER_URL"):
        assert name not in env
    assert "SYNC_BROKER_DIR" not in env
    assert env["SYNC_VAR_DIR"] == str(tmp_path)
    assert env["DJANGO_SETTINGS_MODULE"] == "syncplatform.settings"
    assert env["PATH"] == "/usr/bin"


def test_procfile_command_reads_the_named_process_with_this_venvs_program(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# realtime: not this comment\n"
        "web: .venv/bin/gunicorn app --bind 127.0.0.1:8000\n"
        "realtime: .venv/bin/celery -A app worker -Q realtime -P threads -c 16 -n rt@%h\n"
    )

    argv = procfile_command("realtime", procfile)

    assert argv == [
        str(BIN / "celery"),
        *["-A", "app", "worker", "-Q", "realtime", "-P", "threads", "-c", "16", "-n", "rt@%h"],
    ]
    with pytest.raises(BenchSetupError, match="no 'beat' process"):
        procfile_command("beat", procfile)


def test_the_bench_runs_the_embedded_procfiles_realtime_worker_on_threads():
    argv = procfile_command("realtime")

    assert argv[0] == str(BIN / "celery")
    assert " -Q realtime -P threads -c 16 " in f" {' '.join(argv)} "
    assert realtime_threads() == 16


def test_a_result_line_round_trips_and_other_lines_are_not_results():
    run = EmbeddedRun(600, 20.0, {"worker": 12.5}, {"succeeded": 600}, 7.5)

    line = RESULT_PREFIX + json.dumps(run.__dict__)

    assert parse_result(line) == run
    assert run.rate == 30.0
    assert parse_result("accepted 600 orders in 7.5 s (not timed)") is None


def succeeded(count: int) -> EmbeddedRun:
    return EmbeddedRun(count, 10.0, {}, {"succeeded": count})


def test_embedded_problems_none_when_each_order_posted_once_within_the_cap():
    assert embedded_problems(succeeded(100), MAX_IN_FLIGHT, (100, 100), 100) == []


def test_embedded_problems_name_a_missing_post_a_duplicate_and_the_cap_exceeded():
    stuck = EmbeddedRun(99, 10.0, {}, {"succeeded": 99, "failed": 1})

    assert "99 of 100 posted" in embedded_problems(stuck, 16, (99, 99), 100)[0]
    assert "101 documents, 100 references" in " ".join(
        embedded_problems(succeeded(100), 16, (101, 100), 100)
    )
    assert embedded_problems(succeeded(100), MAX_IN_FLIGHT + 1, (100, 100), 100) == [
        f"embedded default: ERP peak concurrency {MAX_IN_FLIGHT + 1} > {MAX_IN_FLIGHT}"
    ]
