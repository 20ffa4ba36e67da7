"""Benchmarks of the data primitives: queue hand-off, Event wake-ups, Semaphore (issue: data-1)."""

from __future__ import annotations

import time

from coopconc.bench import benchmark


@benchmark("queue hand-off Queue(1)", unit="item", n=100_000)
def queue_handoff(lib, n):
    """A producer puts n items into a Queue(1) while a consumer gets them: every item is a
    hand-off between two greenlets."""
    q = lib.sub("queue").Queue(1)

    def producer():
        put = q.put
        for i in range(n):
            put(i)

    def consumer():
        get = q.get
        for _ in range(n):
            get()

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(producer), lib.mod.spawn(consumer)])
    return time.perf_counter() - t0


@benchmark("Event wakes 1000 waiters", unit="waiter woken", n=50_000)
def event_wakes_waiters(lib, n):
    """Rounds of 1000 greenlets waiting on one Event, set once; one op = one waiter woken."""
    Event = lib.sub("event").Event
    spawn_raw = lib.mod.spawn_raw
    sleep = lib.mod.sleep
    waiters = 1000
    rounds = max(1, n // waiters)
    elapsed = 0.0
    for _ in range(rounds):
        ev = Event()
        done = []
        for _ in range(waiters):
            spawn_raw(lambda ev=ev, done=done: done.append(ev.wait()))
        sleep(0)  # every waiter is now parked
        t0 = time.perf_counter()
        ev.set()
        while len(done) < waiters:
            sleep(0)
        elapsed += time.perf_counter() - t0
    return elapsed * n / (rounds * waiters)


@benchmark("Semaphore acquire/release", unit="acquire+release", n=200_000)
def semaphore_acquire_release(lib, n):
    """Two greenlets sharing a Semaphore(1), each taking it and giving it back n/2 times with a
    sleep(0) inside, so every other acquire has to wait for the other greenlet's release."""
    sem = lib.sub("lock").Semaphore(1)
    sleep = lib.mod.sleep
    half = n // 2

    def worker():
        acquire, release = sem.acquire, sem.release
        for i in range(half):
            acquire()
            if i & 7 == 0:
                sleep(0)
            release()

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(worker), lib.mod.spawn(worker)])
    return time.perf_counter() - t0
