"""deploy/embedded/Procfile: how `make run` starts its realtime worker."""

from bench.embedded_stack import procfile_command


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_the_embedded_realtime_worker_reserves_a_message_beyond_each_thread():
    # The filesystem broker is polled: with one message reserved per thread, a thread
    # whose post had ended waited for the next poll (bench erp_peak: 25 against 36 orders/s).
    argv = procfile_command("realtime")

    assert option(argv, "-P") == "threads"
    assert int(option(argv, "--prefetch-multiplier") or 1) >= 2
