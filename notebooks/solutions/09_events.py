"""Worked solutions of notebook 09's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.event import AsyncResult, Event


def start_together(names):
    go = Event()
    started = []

    def runner(name):
        go.wait()
        started.append(name)

    greenlets = [coopconc.spawn(runner, name) for name in names]
    coopconc.sleep(1)
    when = coopconc.now()
    go.set()
    coopconc.joinall(greenlets)
    return (when, started)


def start_together_faked(names):
    """Wrong: sleeps and returns the names; nobody waits on an Event."""
    coopconc.sleep(1)
    return (coopconc.now(), list(names))


def start_together_no_wait(names):
    """Wrong: the greenlets append at once, without waiting on the Event."""
    started = []
    greenlets = [coopconc.spawn(started.append, name) for name in names]
    coopconc.sleep(1)
    when = coopconc.now()
    coopconc.joinall(greenlets)
    return (when, started)


def first_answer(delays):
    result = AsyncResult()

    def answer(name, delay):
        coopconc.sleep(delay)
        if not result.ready():
            result.set(name)

    greenlets = [coopconc.spawn(answer, name, delay) for name, delay in delays]
    try:
        return result.get()
    finally:
        coopconc.killall(greenlets)


def first_answer_no_kill(delays):
    """Wrong: returns the first answer but leaves the slower greenlets running."""
    result = AsyncResult()

    def answer(name, delay):
        coopconc.sleep(delay)
        if not result.ready():
            result.set(name)

    for name, delay in delays:
        coopconc.spawn(answer, name, delay)
    return result.get()


def first_answer_last_wins(delays):
    """Wrong: every greenlet sets the result (no ready() check); waits for all."""
    result = AsyncResult()

    def answer(name, delay):
        coopconc.sleep(delay)
        result.set(name)

    coopconc.joinall([coopconc.spawn(answer, n, d) for n, d in delays])
    return result.get()


def first_answer_computed(delays):
    """Wrong: picks the minimum and sleeps that long; no race at all."""
    name, delay = min(delays, key=lambda pair: pair[1])
    coopconc.sleep(delay)
    return name


SOLUTIONS = {"09.1": start_together, "09.2": first_answer}
WRONG = {
    "09.1": [start_together_faked, start_together_no_wait],
    "09.2": [first_answer_no_kill, first_answer_last_wins, first_answer_computed],
}
