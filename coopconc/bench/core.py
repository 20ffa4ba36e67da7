"""Benchmarks of the core runtime: switching, spawning and timers (issue: foundation)."""

from __future__ import annotations

import time

from coopconc.bench import benchmark


@benchmark("sleep(0) switch", unit="switch", n=200_000, libs=("coopconc", "gevent", "greenlet"))
def sleep0_switch(lib, n):
    """Two greenlets taking turns with sleep(0); one op = one switch away and back."""
    half = n // 2
    if lib.name == "greenlet":
        from greenlet import greenlet

        def ping():
            for _ in range(half):
                b.switch()

        def pong():
            for _ in range(half):
                a.switch()

        a, b = greenlet(ping), greenlet(pong)
        t0 = time.perf_counter()
        a.switch()
        return time.perf_counter() - t0
    sleep = lib.mod.sleep

    def worker():
        for _ in range(half):
            sleep(0)

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(worker), lib.mod.spawn(worker)])
    return time.perf_counter() - t0


@benchmark("spawn + join", unit="greenlet", n=50_000, libs=("coopconc", "gevent", "greenlet"))
def spawn_join(lib, n):
    """Spawn n trivial greenlets, then wait for all of them."""
    if lib.name == "greenlet":
        from greenlet import greenlet

        def nothing():
            return None

        t0 = time.perf_counter()
        gs = [greenlet(nothing) for _ in range(n)]
        for g in gs:
            g.switch()
        return time.perf_counter() - t0

    def nothing():
        return None

    spawn = lib.mod.spawn
    t0 = time.perf_counter()
    gs = [spawn(nothing) for _ in range(n)]
    lib.mod.joinall(gs)
    return time.perf_counter() - t0


@benchmark("timers: sleep(short)", unit="greenlet", n=50_000)
def many_timers(lib, n):
    """n greenlets each sleeping on its own short timer (1 to 2 ms), then joined."""
    sleep = lib.mod.sleep

    def nap(i):
        sleep(0.001 + (i % 10) * 0.0001)

    spawn = lib.mod.spawn
    t0 = time.perf_counter()
    gs = [spawn(nap, i) for i in range(n)]
    lib.mod.joinall(gs)
    return time.perf_counter() - t0
