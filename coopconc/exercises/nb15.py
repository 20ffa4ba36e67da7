"""Checkers of notebook 15 (actors)."""

from __future__ import annotations

import coopconc
from coopconc.actor import Actor
from coopconc.event import AsyncResult
from coopconc.exercises._common import expect, quiet_hub
from coopconc.exercises._watch import Switches


def _ask_total(counter, label):
    result = AsyncResult()
    counter.send(("get", result))
    try:
        return result.get(timeout=1)
    except coopconc.Timeout:
        if counter.ready() and counter.exception is not None:
            if isinstance(counter.exception, NotImplementedError):
                raise counter.exception from None
            raise AssertionError(
                f"{label} crashed with {type(counter.exception).__name__}: {counter.exception}"
            ) from None
        raise AssertionError(f"{label} did not answer ('get', result) within 1 second") from None


def check_counter(counter_class) -> str:
    expect(
        isinstance(counter_class, type) and issubclass(counter_class, Actor),
        f"check('15.1', Counter) needs the class Counter(Actor) itself; got {counter_class!r}",
    )
    with quiet_hub():
        for numbers in ([1, 2, 3], [], [10, -4]):
            with coopconc.virtual_clock():
                counter = counter_class()
                counter.start()
                try:
                    for n in numbers:
                        counter.send(("add", n))
                    got = _ask_total(counter, "the counter")
                finally:
                    counter.stop(timeout=1)
            expect(
                got == sum(numbers),
                f"after adding {numbers} the total was {got!r}; expected {sum(numbers)}",
            )
        with coopconc.virtual_clock():
            one, two = counter_class(), counter_class()
            one.start()
            two.start()
            try:
                for n in (5, 6):
                    one.send(("add", n))
                    two.send(("add", 100))
                first, second = _ask_total(one, "counter one"), _ask_total(two, "counter two")
                one.send(("add", 1))
                again = _ask_total(one, "counter one")
            finally:
                one.stop(timeout=1)
                two.stop(timeout=1)
        expect(
            (first, second) == (11, 200),
            f"two counters fed at once reported {first!r} and {second!r}; expected 11 and 200 "
            "(keep the total on self, set in __init__, not on the class)",
        )
        expect(again == 12, f"after one more ('add', 1) the total was {again!r}; expected 12")
    return "each counter adds up its own messages and answers through the AsyncResult"


def check_survive(survive) -> str:
    cases = [[1, 0, 2], [0, 0, 5], [4], [0, 3, 0, 0, 50]]
    try:
        for messages in cases:
            with Switches() as seen:
                got = survive(list(messages))
            crashes = messages.count(0)
            expected = ([100 // m for m in messages if m], crashes)
            expect(got == expected, f"survive({messages}) returned {got!r}; expected {expected!r}")
            expect(
                len(seen.workers) >= 1 + crashes,
                f"survive({messages}): {len(seen.workers)} greenlet(s) ran; a supervised actor "
                f"must receive the messages and be restarted after each of the {crashes} crash(es)",
            )
    finally:
        coopconc.get_hub().exception_stream = None
    return "the actor crashed on each 0, was restarted, and handled the rest"


CHECKS = {"15.1": check_counter, "15.2": check_survive}
