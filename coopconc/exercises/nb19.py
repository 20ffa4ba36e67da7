"""Checkers of notebook 19 (pitfalls)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect, expect_one_order_for_both, quiet_hub
from coopconc.exercises._watch import LinesPerTurn
from coopconc.hub import LoopExit
from coopconc.lock import Semaphore


def check_crunch_politely(crunch_politely) -> str:
    code = getattr(crunch_politely, "__code__", None)
    expect(code is not None, f"check('19.1', f) needs a function; got {crunch_politely!r}")
    for n, every in ((4_000, 400), (2_000, 250)):
        done: list = []
        finished: list = []
        counter_turns = [0]

        def counter(finished=finished, counter_turns=counter_turns):
            while not finished:
                counter_turns[0] += 1
                coopconc.sleep(0)

        def cruncher(done=done, finished=finished, n=n, every=every):
            try:
                done.append(crunch_politely(n, every))
            finally:
                finished.append(True)

        with quiet_hub(), LinesPerTurn(code.co_filename) as lines:
            other = coopconc.spawn(counter)
            lines.who = coopconc.spawn(cruncher)
            coopconc.joinall([other, lines.who])
        if lines.who.exception is not None:
            raise lines.who.exception
        expected = sum(i * i % 7 for i in range(n))
        expect(
            done == [expected],
            f"crunch_politely({n}, {every}) returned {done!r}; expected {expected}",
        )
        expect(
            counter_turns[0] >= n // every,
            f"crunch_politely({n}, {every}): the other greenlet ran only {counter_turns[0]} "
            f"time(s); give way (coopconc.sleep(0)) once every {every} iterations",
        )
        total = sum(lines.turns)
        expect(
            total > 0 and max(lines.turns) <= total / 2,
            f"crunch_politely({n}, {every}): {max(lines.turns, default=0)} of its {total} lines "
            "ran in one turn; give way *during* the work, every few iterations, not after it",
        )
    return "the work was spread over many turns, with the other greenlet running in between"


def check_in_safe_order(in_safe_order) -> str:
    expect_one_order_for_both("in_safe_order", in_safe_order, lambda: Semaphore(1))

    pens, paper = Semaphore(1), Semaphore(1)

    def writer(name, a, b):
        first, second = in_safe_order(a, b)
        with first:
            coopconc.sleep(0)
            with second:
                return f"{name} wrote"

    writers = [
        coopconc.spawn(writer, "alice", pens, paper),
        coopconc.spawn(writer, "bob", paper, pens),
    ]
    try:
        with quiet_hub():
            coopconc.joinall(writers, raise_error=True)
    except LoopExit:
        raise AssertionError("alice and bob still deadlock (LoopExit)") from None
    finally:
        coopconc.killall(writers)
    expect(
        [w.value for w in writers] == ["alice wrote", "bob wrote"],
        "alice and bob did not both write",
    )
    return "one order for everybody: alice and bob both wrote, no deadlock"


CHECKS = {"19.1": check_crunch_politely, "19.2": check_in_safe_order}
