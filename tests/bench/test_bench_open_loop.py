"""The open-loop generator (bench/open_loop.py) against small HTTP servers on real sockets."""

import asyncio

from bench.open_loop import Target, drive, percentile, scheduled_offsets


def fixed_request(number: str) -> bytes:
    return f"POST /orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: {number}\r\n\r\n".encode()


async def serve(answer, stall_first: float = 0.0, hang_up: bool = False):
    """A server that reads each request head, waits ``stall_first`` once, then answers.

    With ``hang_up`` it closes each connection after one answer, without saying
    so, as a server does to a keep-alive connection that idled past its timeout.
    """
    stalled = []

    async def handle(reader, writer):
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                if not stalled:
                    stalled.append(True)
                    await asyncio.sleep(stall_first)
                writer.write(answer)
                await writer.drain()
                if hang_up:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"


def run_against(answer: bytes, *, rate, seconds, connections, **server) -> dict:
    async def scenario():
        server_, port = await serve(answer, **server)
        async with server_:
            return await drive(
                Target("127.0.0.1", port, fixed_request), rate, seconds, connections, "T"
            )

    return asyncio.run(scenario())


def test_connections_share_the_rate_evenly():
    # when
    offsets = sorted(t for k in range(7) for t in scheduled_offsets(200, 1.0, 7, k))

    # then: 200 sends, one every 5 ms, all before the end
    assert len(offsets) == 200
    assert all(abs(t - i / 200) < 1e-9 for i, t in enumerate(offsets))


def test_a_stalled_server_counts_from_each_requests_scheduled_time():
    # given: one connection at 100 requests/s, the server stalls its first answer 300 ms
    # when
    result = run_against(ACCEPTED, rate=100, seconds=0.5, connections=1, stall_first=0.3)

    # then: the 30 requests due during the stall waited behind it, and that wait counts
    latencies = sorted(result["latencies_ms"])
    assert result["statuses"] == {"202": 50}
    assert latencies[-1] >= 300
    assert sum(latency >= 100 for latency in latencies) >= 18  # timed from sending: 1
    assert result["late_sends"] >= 18


def test_a_quick_server_shows_low_latency_and_little_generator_lag():
    # when
    result = run_against(ACCEPTED, rate=400, seconds=0.5, connections=8)

    # then
    assert result["statuses"] == {"202": 200}
    assert percentile(sorted(result["latencies_ms"]), 50) < 20
    assert result["late_sends"] < 20


def test_chunked_answers_and_closed_connections_are_read():
    # given: a chunked answer that also closes the connection each time
    answer = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    )

    # when
    result = run_against(answer, rate=100, seconds=0.2, connections=2)

    # then: every request got its answer, on a new connection after each close
    assert result["statuses"] == {"201": 20}
    assert result["errors"] == {}


def test_a_request_into_a_connection_the_server_closed_goes_again_on_a_new_one():
    # when: the server hangs up after every answer, unannounced
    result = run_against(ACCEPTED, rate=100, seconds=0.2, connections=2, hang_up=True)

    # then: each later request found its connection closed and was sent again
    assert result["statuses"] == {"202": 20}
    assert result["errors"] == {}
    assert result["reconnects"] == 18


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50,
        99,
        100,
    )
    assert percentile([], 99) == 0
