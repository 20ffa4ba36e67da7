"""Checkers of notebook 07 (timeouts)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect, quiet_hub


def _expected_retries(times, limit):
    total = 0.0
    for i, t in enumerate(times):
        if t < limit:
            return i, total + t
        total += limit
    return None, total


def check_fetch_with_retries(fetch_with_retries) -> str:
    cases = [([0.5], 1), ([3, 2, 0.5], 1), ([3, 3], 1), ([2, 1], 1.5), ([0.2, 5], 1), ([], 1)]
    for times, limit in cases:
        with coopconc.virtual_clock():
            start = coopconc.now()
            got = fetch_with_retries(list(times), limit)
            took = coopconc.now() - start
        expected, total = _expected_retries(times, limit)
        expect(
            got == expected and (got is None) == (expected is None),
            f"fetch_with_retries({times}, {limit}) returned {got!r}; expected {expected!r}",
        )
        expect(
            abs(took - total) < 1e-9,
            f"fetch_with_retries({times}, {limit}) took {took:g} s; expected {total:g} s: each "
            "attempt runs for real (coopconc.sleep) and is cut off at the limit (Timeout)",
        )
    return "each attempt was cut off at its limit, and the first in time won"


def check_first_or_default(first_or_default) -> str:
    def after(seconds, value):
        coopconc.sleep(seconds)
        return value

    cases = [  # (jobs as (seconds, value), limit)
        ([(2, "a"), (1, "b")], 5),
        ([(2, "a"), (3, "b")], 1),
        ([(0.5, "x")], 1),
        ([(1.5, "p"), (0.5, None), (1, "q")], 2),
    ]
    for jobs, limit in cases:
        with quiet_hub(), coopconc.virtual_clock():
            greenlets = [coopconc.spawn(after, s, v) for s, v in jobs]
            try:
                got = first_or_default(greenlets, limit, "default")
                took = coopconc.now()
                killed = [
                    g for g in greenlets if g.ready() and isinstance(g.value, coopconc.GreenletExit)
                ]
                alive = [g for g in greenlets if not g.ready()]
            finally:
                coopconc.killall(greenlets)
        first = min(jobs, key=lambda job: job[0])
        expected, ends = (first[1], first[0]) if first[0] < limit else ("default", limit)
        expect(
            got == expected,
            f"with jobs {jobs} and {limit} s, it returned {got!r}; expected {expected!r}",
        )
        expect(
            abs(took - ends) < 1e-9,
            f"with jobs {jobs} and {limit} s, it returned at {took:g} s; expected {ends:g} s "
            "(as soon as the first finishes, or when the time is up)",
        )
        expect(not killed, f"with jobs {jobs}, {len(killed)} greenlet(s) were killed; kill nothing")
        expect(
            len(alive) == sum(1 for s, _ in jobs if s > ends),
            f"with jobs {jobs}, the greenlets still running at {ends:g} s were not left running",
        )
    return "the first value, or the default when time ran out; nothing killed"


CHECKS = {"07.1": check_fetch_with_retries, "07.2": check_first_or_default}
