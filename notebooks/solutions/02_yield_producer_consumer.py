"""Worked solutions of notebook 02's exercises, and plausible wrong answers the checker rejects."""

import functools
import threading


def coroutine(func):
    @functools.wraps(func)
    def start(*args, **kwargs):
        gen = func(*args, **kwargs)
        next(gen)
        return gen

    return start


@coroutine
def averager():
    total, count, average = 0, 0, None
    while True:
        number = yield average
        total += number
        count += 1
        average = total / count


_shared = []


@coroutine
def averager_shared():
    """Wrong: keeps the numbers in a global list shared by every averager."""
    average = None
    while True:
        _shared.append((yield average))
        average = sum(_shared) / len(_shared)


@coroutine
def averager_last():
    """Wrong: yields the last number, not the average."""
    number = None
    while True:
        number = float((yield number))


@coroutine
def grep(pattern, target):
    while True:
        line = yield
        if pattern in line:
            target.send(line)


@coroutine
def grep_everything(pattern, target):
    """Wrong: forwards every line."""
    while True:
        target.send((yield))


@coroutine
def grep_buffered(pattern, target):
    """Wrong: holds the lines back and forwards them only two at a time."""
    held = []
    while True:
        line = yield
        if pattern in line:
            held.append(line)
        if len(held) == 2:
            for x in held:
                target.send(x)
            held.clear()


def in_order(lock_a, lock_b):
    return (lock_a, lock_b) if id(lock_a) < id(lock_b) else (lock_b, lock_a)


def in_order_as_given(lock_a, lock_b):
    """Wrong: the order depends on how the locks were passed."""
    return (lock_a, lock_b)


def in_order_fresh(lock_a, lock_b):
    """Wrong: two new locks, the same order every time, protecting nothing."""
    return _FRESH


_FRESH = (threading.Lock(), threading.Lock())

SOLUTIONS = {"02.1": averager, "02.2": grep, "02.3": in_order}
WRONG = {
    "02.1": [averager_shared, averager_last],
    "02.2": [grep_everything, grep_buffered],
    "02.3": [in_order_as_given, in_order_fresh],
}
