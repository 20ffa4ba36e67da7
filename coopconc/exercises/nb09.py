"""Checkers of notebook 09 (events)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect, quiet_hub
from coopconc.exercises._watch import Switches


def check_start_together(start_together) -> str:
    for names in (["a", "b", "c"], ["solo"], ["z", "y"]):
        with coopconc.virtual_clock(), Switches() as seen:
            got = start_together(list(names))
        expected = (1.0, list(names))
        expect(got == expected, f"start_together({names}) returned {got!r}; expected {expected!r}")
        waited = [g for g in seen.workers if sum(1 for _, t in seen.events if t is g) >= 2]
        expect(
            len(waited) >= len(names),
            f"start_together({names}): {len(waited)} greenlet(s) waited and woke up; each of "
            f"the {len(names)} greenlets must wait on the Event and append after it is set",
        )
    return "every greenlet waited on the Event and woke when it was set"


def check_first_answer(first_answer) -> str:
    cases = [
        ([("slow", 3), ("fast", 1), ("medium", 2)], "fast"),
        ([("a", 1), ("b", 1)], "a"),
        ([("only", 0.5)], "only"),
        ([("x", 2), ("y", 0.25), ("z", 0.5)], "y"),
    ]
    for delays, expected in cases:
        ends = min(d for _, d in delays)
        with quiet_hub(), coopconc.virtual_clock(), Switches() as seen:
            got = first_answer(list(delays))
            took = coopconc.now()
            left = seen.alive_workers()
            coopconc.killall(left)
        expect(got == expected, f"first_answer({delays}) returned {got!r}; expected {expected!r}")
        expect(
            took == ends,
            f"first_answer({delays}) returned at t={took:g}; expected t={ends:g}, as soon as "
            "the first greenlet set the AsyncResult",
        )
        expect(
            len(seen.workers) >= len(delays),
            f"first_answer({delays}) ran {len(seen.workers)} greenlet(s); spawn one per pair",
        )
        expect(not left, f"first_answer({delays}) left {len(left)} greenlet(s) running; kill them")
    return "the first name came back at once, and the slower greenlets were killed"


CHECKS = {"09.1": check_start_together, "09.2": check_first_answer}
