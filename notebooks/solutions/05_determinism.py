"""Worked solutions of notebook 05's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.lock import BoundedSemaphore
from coopconc.pool import Pool


def safe_total(greenlets, times):
    counter = [0]
    lock = BoundedSemaphore(1)

    def add():
        for _ in range(times):
            with lock:
                value = counter[0]
                coopconc.sleep(0)  # the yield point stays, inside the lock
                counter[0] = value + 1

    coopconc.joinall([coopconc.spawn(add) for _ in range(greenlets)])
    return counter[0]


def safe_total_claimed(greenlets, times):
    """Wrong: returns the expected total without running anything."""
    return greenlets * times


def safe_total_no_lock(greenlets, times):
    """Wrong: the race of the notebook, unfixed: updates are lost."""
    counter = [0]

    def add():
        for _ in range(times):
            value = counter[0]
            coopconc.sleep(0)
            counter[0] = value + 1

    coopconc.joinall([coopconc.spawn(add) for _ in range(greenlets)])
    return counter[0]


def safe_total_no_yield(greenlets, times):
    """Wrong: removes the yield point instead of locking around it."""
    counter = [0]

    def add():
        for _ in range(times):
            counter[0] += 1

    coopconc.joinall([coopconc.spawn(add) for _ in range(greenlets)])
    return counter[0]


def predict(durations):
    # A pool with one slot per task starts them all at once; they finish by duration, and
    # ties finish in the order they started (the timers were armed in that order).
    return sorted(range(len(durations)), key=lambda i: durations[i])


def predict_by_running(durations):
    """Wrong: runs the pool instead of predicting."""

    def task(i):
        coopconc.sleep(durations[i])
        return i

    with coopconc.virtual_clock():
        return list(Pool(len(durations)).imap_unordered(task, range(len(durations))))


def predict_ties_reversed(durations):
    """Wrong: breaks ties the other way round."""
    return sorted(range(len(durations)), key=lambda i: (durations[i], -i))


SOLUTIONS = {"05.1": safe_total, "05.2": predict}
WRONG = {
    "05.1": [safe_total_claimed, safe_total_no_lock, safe_total_no_yield],
    "05.2": [predict_by_running, predict_ties_reversed],
}
