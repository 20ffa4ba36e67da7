"""Checkers of notebook 02 (yield, producer and consumer)."""

from __future__ import annotations

import inspect
import threading

from coopconc.exercises._common import expect, expect_one_order_for_both


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
    expect_one_order_for_both("in_order", in_order, threading.Lock)
    return "both argument orders give the same two locks in the same order"


CHECKS = {"02.1": check_averager, "02.2": check_grep, "02.3": check_in_order}
