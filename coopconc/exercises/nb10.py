"""Checkers of notebook 10 (queues)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect
from coopconc.exercises._watch import Switches
from coopconc.queue import LifoQueue, PriorityQueue, Queue


def check_pipeline(pipeline) -> str:
    for words in (["a", "b"], [], ["x", "y", "z", "w"]):
        with coopconc.virtual_clock(), Switches() as seen:
            got = pipeline(list(words))
        expected = [w.upper() for w in words]
        expect(got == expected, f"pipeline({words}) returned {got!r}; expected {expected!r}")
        expect(
            len(seen.workers) >= 2 and seen.turns_given_up() >= len(words),
            f"pipeline({words}): {len(seen.workers)} greenlet(s) ran, giving way "
            f"{seen.turns_given_up()} time(s); a producer and an upper-casing greenlet must pass "
            "the words through a Queue(1) one at a time",
        )
    return "the words went through two greenlets and two queues"


def check_drain(drain) -> str:
    q1 = Queue()
    for x in [1, 2, 3]:
        q1.put(x)
    q2 = LifoQueue()
    for x in "ab":
        q2.put(x)
    q3 = PriorityQueue()
    for x in (5, 1, 3):
        q3.put(x)
    for q, expected in ((q1, [1, 2, 3]), (Queue(), []), (q2, ["b", "a"]), (q3, [1, 3, 5])):
        name = repr(q)
        got = drain(q)
        expect(got == expected, f"drain({name}) returned {got!r}; expected {expected!r}")
        expect(q.empty(), f"after drain({name}) the queue still holds items; take them out")
    return "every item, in the queue's own order, and the queue left empty"


CHECKS = {"10.1": check_pipeline, "10.2": check_drain}
