"""Checkers of notebook 04 (greenlets)."""

from __future__ import annotations

import math
import time

import coopconc
from coopconc.exercises._common import expect
from coopconc.exercises._watch import Switches


def check_round_robin(round_robin) -> str:
    for names, rounds in ((["a", "b"], 2), (["x"], 3), (["p", "q", "r"], 1), (["m", "n"], 3)):
        with coopconc.virtual_clock(), Switches() as seen:
            got = round_robin(names, rounds)
        expected = [f"{name}{i}" for i in range(rounds) for name in names]
        expect(
            got == expected,
            f"round_robin({names}, {rounds}) returned {got!r}; expected {expected!r}",
        )
        expect(
            len(seen.workers) >= len(names) and seen.turns_given_up() >= len(names) * rounds,
            f"round_robin({names}, {rounds}) has the right list, but {len(seen.workers)} "
            f"greenlet(s) gave way {seen.turns_given_up()} time(s); one greenlet per name must "
            "append, then coopconc.sleep(0), each round",
        )
    return "the greenlets took turns, one append each"


def check_batch_time(batch_time) -> str:
    cases = [
        ([1.0, 2.0, 0.5], False), ([1.0, 2.0, 0.5], True), ([0.3], True), ([0.1] * 10, False),
        ([0.5, 0.25], True),
    ]  # fmt: skip
    for delays, concurrent in cases:
        started = time.perf_counter()
        with Switches() as seen:
            got = batch_time(list(delays), concurrent)
        real = time.perf_counter() - started
        expected = max(delays) if concurrent else sum(delays)
        expect(
            isinstance(got, float) and math.isclose(got, expected),
            f"batch_time({delays}, {concurrent}) returned {got!r}; expected {expected}",
        )
        expect(
            seen.hub_visits() >= len(delays),
            f"batch_time({delays}, {concurrent}) returned the right number without sleeping; "
            "run the tasks and measure with coopconc.now()",
        )
        if concurrent:
            expect(
                len(seen.workers) >= len(delays),
                f"batch_time({delays}, True) ran {len(seen.workers)} greenlet(s); spawn one per delay",
            )
        expect(
            real < 0.5 + expected / 2,
            f"batch_time({delays}, {concurrent}) took {real:.1f} real seconds; "
            "run it inside `with coopconc.virtual_clock():`",
        )
    return "measured times: sum of the delays one after another, the longest when together"


CHECKS = {"04.1": check_round_robin, "04.2": check_batch_time}
