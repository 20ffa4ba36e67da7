"""Checkers of notebook 03 (event loops)."""

from __future__ import annotations

import heapq
import socket
import time

from coopconc.exercises._common import call_in_thread, expect


def check_ready_to_read(ready_to_read) -> str:
    pairs = [socket.socketpair() for _ in range(5)]
    readers = [a for a, _ in pairs]
    try:
        started = time.perf_counter()
        got = call_in_thread(ready_to_read, (readers, 0.2), 5)
        took = time.perf_counter() - started
        expect(got == [] or got == (), f"with nothing sent, it returned {got!r}; expected []")
        expect(
            took >= 0.15,
            f"with nothing sent and timeout 0.2 it returned after {took:.3f} s; "
            "wait up to the timeout (the 4th argument of select.select)",
        )
        pairs[1][1].sendall(b"x")
        pairs[4][1].sendall(b"y")
        got = call_in_thread(ready_to_read, (readers, 1.0), 5)
        expect(
            isinstance(got, (list, tuple)) and all(isinstance(i, int) for i in got),
            f"it returned {got!r}; return the indices (ints) of the readable sockets in socks",
        )
        expect(
            sorted(got) == [1, 4],
            f"after sockets 1 and 4 received data it returned {got!r}; expected the indices "
            "[1, 4] (positions in socks, not the sockets)",
        )
        pairs[0][1].close()  # end-of-stream is readable too
        got = call_in_thread(ready_to_read, (readers, 1.0), 5)
        expect(
            sorted(got) == [0, 1, 4],
            f"after socket 0's peer hung up it returned {got!r}; expected [0, 1, 4] "
            "(end of stream counts as readable)",
        )
    finally:
        for a, b in pairs:
            a.close()
            b.close()
    return "the right indices, and it waited for the timeout when nothing was ready"


def _expected_firing_order(delays):
    heap = [(delay, i) for i, delay in enumerate(delays)]
    heapq.heapify(heap)
    return [heapq.heappop(heap)[1] for _ in delays]


def check_firing_order(firing_order) -> str:
    cases = [[0.3, 0.1, 0.2], [1.0, 1.0, 0.5], [], [0, 0, 0, 0], [2, 1, 2, 1, 0.5], [5]]
    for delays in cases:
        got = firing_order(list(delays))
        expected = _expected_firing_order(delays)
        expect(
            got == expected,
            f"firing_order({delays}) returned {got!r}; expected {expected!r} "
            "(indices, earliest first, ties in registration order)",
        )
    return "timers fire earliest first, ties in registration order"


CHECKS = {"03.1": check_ready_to_read, "03.2": check_firing_order}
