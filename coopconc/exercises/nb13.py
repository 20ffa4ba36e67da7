"""Checkers of notebook 13 (greenlet locals)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect
from coopconc.exercises._watch import Switches


def check_count_calls(count_calls) -> str:
    for names, calls in ((["a", "b"], 3), (["x", "y", "z"], 1), (["p", "q", "r"], 4)):
        with coopconc.virtual_clock(), Switches() as seen:
            got = count_calls(list(names), calls)
        expected = [calls] * len(names)
        expect(
            got == expected,
            f"count_calls({names}, {calls}) returned {got!r}; expected {expected!r} "
            "(each greenlet sees only its own count)",
        )
        expect(
            len(seen.workers) >= len(names) and seen.turns_given_up() >= len(names) * calls,
            f"count_calls({names}, {calls}): {len(seen.workers)} greenlet(s) gave way "
            f"{seen.turns_given_up()} time(s); spawn one per name, each calling bump() "
            f"{calls} times (with its coopconc.sleep(0))",
        )
    return "each greenlet counted only its own calls, while they took turns"


def check_serve(serve) -> str:
    for users in (["ann", "bob"], [], ["cy", "di", "ed"]):
        with coopconc.virtual_clock(), Switches() as seen:
            got = serve(list(users))
            took = coopconc.now()
        expected = [f"hello {u}" for u in users]
        expect(got == expected, f"serve({users}) returned {got!r}; expected {expected!r}")
        if users:
            expect(
                len(seen.workers) >= len(users) and abs(took - 0.1) < 1e-9,
                f"serve({users}) ran {len(seen.workers)} greenlet(s) in {took:g} s; spawn one "
                "handler per user, all at once, each sleeping 0.1 s",
            )
    return "each handler greeted its own user, all sleeping at the same time"


CHECKS = {"13.1": check_count_calls, "13.2": check_serve}
