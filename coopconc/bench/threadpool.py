"""Benchmarks of the thread pool and subprocesses: the hand-off between OS threads and the hub."""

from __future__ import annotations

import time

from coopconc.bench import benchmark


def _nothing():
    return 1


@benchmark("ThreadPool spawn+get round trip", unit="job", n=2_000)
def threadpool_round_trip(lib, n):
    """One job at a time: queue it, a worker runs it, the hub is woken through its self-pipe."""
    pool = lib.sub("threadpool").ThreadPool(4)
    pool.spawn(_nothing).get()  # start a worker thread first
    t0 = time.perf_counter()
    for _ in range(n):
        pool.spawn(_nothing).get()
    return time.perf_counter() - t0


@benchmark("ThreadPool batch of jobs", unit="job", n=5_000)
def threadpool_batch(lib, n):
    """n jobs spawned (spawn waits when the pool is full), then every result collected."""
    pool = lib.sub("threadpool").ThreadPool(4)
    pool.spawn(_nothing).get()
    t0 = time.perf_counter()
    results = [pool.spawn(_nothing) for _ in range(n)]
    for r in results:
        r.get()
    return time.perf_counter() - t0


@benchmark("subprocess run(['true'])", unit="process", n=50)
def subprocess_run(lib, n):
    """Start a child, wait for it cooperatively, n times in a row."""
    run = lib.sub("subprocess").run
    t0 = time.perf_counter()
    for _ in range(n):
        run(["true"])
    return time.perf_counter() - t0
