"""Checkers of notebook 00 (the course map): ``check("00.1", rounds)``."""

from __future__ import annotations

from coopconc.exercises._common import expect
from coopconc.exercises._watch import Switches


def _expected_rounds(names, gap):
    wakeups = [(i * gap + r, i, name) for i, name in enumerate(names) for r in (1, 2, 3)]
    return [(t, name) for t, _, name in sorted(wakeups)]


def check_rounds(rounds) -> str:
    for names, gap in ((["ping", "pong"], 0.5), (["a", "b", "c"], 0.25), (["solo"], 2.0)):
        with Switches() as seen:
            got = rounds(names, gap)
        expected = _expected_rounds(names, gap)
        expect(
            isinstance(got, list) and got == expected,
            f"rounds({names}, {gap}) returned {got!r}; expected {expected!r}",
        )
        expect(
            len(seen.workers) >= len(names) and seen.hub_visits() >= 3 * len(names),
            f"rounds({names}, {gap}) gave the right list, but {len(seen.workers)} greenlet(s) "
            "ran; start one greenlet per name that really sleeps (coopconc.spawn, coopconc.sleep)",
        )
    return "every player woke at the right virtual time, one greenlet per player"


CHECKS = {"00.1": check_rounds}
