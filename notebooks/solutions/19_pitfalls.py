"""Worked solutions of notebook 19's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.lock import Semaphore


def crunch_politely(n, every):
    total = 0
    for i in range(n):
        total += i * i % 7
        if (i + 1) % every == 0:
            coopconc.sleep(0)
    return total


def crunch_then_yield(n, every):
    """Wrong: does all the work first, then gives way n // every times."""
    total = sum(i * i % 7 for i in range(n))
    for _ in range(n // every):
        coopconc.sleep(0)
    return total


def crunch_rudely(n, every):
    """Wrong: never gives way."""
    return sum(i * i % 7 for i in range(n))


def in_safe_order(x, y):
    return (x, y) if id(x) < id(y) else (y, x)


def in_safe_order_as_given(x, y):
    """Wrong: the order depends on who asks: alice and bob deadlock."""
    return x, y


def in_safe_order_fresh(x, y):
    """Wrong: two new locks: the same order for everybody, but they protect nothing."""
    return Semaphore(1), Semaphore(1)


SOLUTIONS = {"19.1": crunch_politely, "19.2": in_safe_order}
WRONG = {
    "19.1": [crunch_then_yield, crunch_rudely],
    "19.2": [in_safe_order_as_given, in_safe_order_fresh],
}
