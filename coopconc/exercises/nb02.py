"""Checkers of notebook 02 (yield, producer and consumer)."""

from __future__ import annotations

import inspect
import threading

from coopconc.exercises._common import expect


def check_averager(averager) -> str:
    cases = [[10], [10, 20], [1, 2, 3, 6], [5, -5, 3]]
    for numbers in cases:
        avg = averager()
        expect(
            inspect.isgenerator(avg),
            f"averager() returned {avg!r}; it should return a started generator (@coroutine)",
        )
        got = [avg.send(x) for x in numbers]
        expected = [sum(numbers[: i + 1]) / (i + 1) for i in range(len(numbers))]
        expect(got == expected, f"sending {numbers} gave {got!r}; expected {expected!r}")
    one, two = averager(), averager()
    one.send(100)
    got = two.send(1)
    expect(
        got == 1.0,
        f"a second averager() started at {got!r} after the first received 100; "
        "keep the running total in local variables of the generator, not globals",
    )
    return "each averager keeps its own running average"


def _collector(into):
    while True:
        into.append((yield))


def check_grep(grep) -> str:
    cases = [
        ("task", ["task 0", "noise", "task 1", "TASK 2"]),
        ("x", ["a", "b"]),
        ("", ["a", "b"]),
        ("ab", ["cab", "abc", "ba"]),
    ]
    for pattern, lines in cases:
        got: list = []
        sink = _collector(got)
        next(sink)
        stage = grep(pattern, sink)
        expect(
            inspect.isgenerator(stage),
            f"grep({pattern!r}, target) returned {stage!r}; it should return a started generator",
        )
        for n, line in enumerate(lines, 1):
            stage.send(line)
            expected = [x for x in lines[:n] if pattern in x]
            expect(
                got == expected,
                f"grep({pattern!r}) after receiving {lines[:n]} had forwarded {got!r}; expected "
                f"{expected!r} (forward each matching line at once, with target.send(line))",
            )
    return "only matching lines were forwarded, each as soon as it arrived"


def check_in_order(in_order) -> str:
    for _ in range(6):
        x, y = threading.Lock(), threading.Lock()
        one, two = in_order(x, y), in_order(y, x)
        for got in (one, two):
            expect(
                isinstance(got, tuple) and len(got) == 2,
                f"in_order returned {got!r}; return a tuple of the two locks",
            )
            expect(
                {id(got[0]), id(got[1])} == {id(x), id(y)},
                f"in_order returned {got!r}, not the two locks it was given; return the "
                "very same objects (new locks protect nothing)",
            )
        expect(
            one[0] is two[0],
            "in_order(a, b) and in_order(b, a) put a different lock first; rank the two locks "
            "by something that does not depend on the argument order (id())",
        )
    return "both argument orders give the same two locks in the same order"


CHECKS = {"02.1": check_averager, "02.2": check_grep, "02.3": check_in_order}
