"""Worked solutions of notebook 03's exercises, and plausible wrong answers the checker rejects."""

import heapq
import select


def ready_to_read(socks, timeout):
    readable, _, _ = select.select(socks, [], [], timeout)
    return [i for i, s in enumerate(socks) if s in readable]


def ready_to_read_sockets(socks, timeout):
    """Wrong: returns the sockets, not their indices."""
    readable, _, _ = select.select(socks, [], [], timeout)
    return readable


def ready_to_read_no_wait(socks, timeout):
    """Wrong: never waits (timeout 0), so it misses data that is on its way."""
    readable, _, _ = select.select(socks, [], [], 0)
    return [i for i, s in enumerate(socks) if s in readable]


def firing_order(delays):
    heap = []
    for i, delay in enumerate(delays):
        heapq.heappush(heap, (delay, i))
    return [heapq.heappop(heap)[1] for _ in range(len(heap))]


def firing_order_by_value(delays):
    """Wrong: a heap of delays alone, finding the index back with .index() (ties break)."""
    heap = list(delays)
    heapq.heapify(heap)
    return [delays.index(heapq.heappop(heap)) for _ in range(len(delays))]


def firing_order_delays(delays):
    """Wrong: returns the delays in order, not the indices."""
    return sorted(delays)


SOLUTIONS = {"03.1": ready_to_read, "03.2": firing_order}
WRONG = {
    "03.1": [ready_to_read_sockets, ready_to_read_no_wait],
    "03.2": [firing_order_by_value, firing_order_delays],
}
