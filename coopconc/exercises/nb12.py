"""Checkers of notebook 12 (locks and semaphores)."""

from __future__ import annotations

import math

import coopconc
from coopconc.exercises._common import expect
from coopconc.lock import Semaphore


def check_max_concurrency(max_concurrency) -> str:
    for n_tasks, limit in ((10, 3), (2, 5), (4, 1), (7, 2)):
        with coopconc.virtual_clock():
            got = max_concurrency(n_tasks, limit)
            took = coopconc.now()
        expected = min(n_tasks, limit)
        rounds = math.ceil(n_tasks / limit)
        expect(
            got == expected,
            f"max_concurrency({n_tasks}, {limit}) returned {got!r}; expected {expected}",
        )
        expect(
            took == rounds,
            f"max_concurrency({n_tasks}, {limit}) took {took:g} s; {n_tasks} one-second tasks, "
            f"{limit} at a time, take {rounds} s: spawn them all, each sleeps inside the semaphore",
        )
    return "never more than `limit` inside, and the tasks really ran in waves"


def check_try_acquire(try_acquire) -> str:
    with coopconc.virtual_clock():
        free = Semaphore(1)
        got = try_acquire(free, 0.5)
        expect(
            got == "got it",
            f"try_acquire(a free semaphore, 0.5) returned {got!r}; expected 'got it'",
        )
        expect(free.locked(), "try_acquire took the free permit but gave it back; keep it")

        taken = Semaphore(0)
        start = coopconc.now()
        got = try_acquire(taken, 0.5)
        took = coopconc.now() - start
        expect(
            got == "busy", f"try_acquire(a taken semaphore, 0.5) returned {got!r}; expected 'busy'"
        )
        expect(
            abs(took - 0.5) < 1e-9,
            f"try_acquire(a taken semaphore, 0.5) gave up after {took:g} s; wait the 0.5 s first",
        )

        later = Semaphore(0)
        coopconc.spawn_later(0.3, later.release)
        start = coopconc.now()
        got = try_acquire(later, 0.5)
        took = coopconc.now() - start
        expect(
            got == "got it" and abs(took - 0.3) < 1e-9,
            f"a semaphore released after 0.3 s: try_acquire(sem, 0.5) returned {got!r} after "
            f"{took:g} s; expected 'got it' after 0.3 s (acquire(timeout=...) waits)",
        )
    return "it waits up to the limit, takes a permit as soon as one is free, and keeps it"


CHECKS = {"12.1": check_max_concurrency, "12.2": check_try_acquire}
