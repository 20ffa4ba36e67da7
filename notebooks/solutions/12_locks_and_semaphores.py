"""Worked solutions of notebook 12's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.lock import BoundedSemaphore


def max_concurrency(n_tasks, limit):
    sem = BoundedSemaphore(limit)
    inside, most = [0], [0]

    def task():
        with sem:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            coopconc.sleep(1)
            inside[0] -= 1

    coopconc.joinall([coopconc.spawn(task) for _ in range(n_tasks)])
    return most[0]


def max_concurrency_claimed(n_tasks, limit):
    """Wrong: states the answer without running anything."""
    return min(n_tasks, limit)


def max_concurrency_no_semaphore(n_tasks, limit):
    """Wrong: forgets the semaphore, so every task is inside at once."""
    inside, most = [0], [0]

    def task():
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        coopconc.sleep(1)
        inside[0] -= 1

    coopconc.joinall([coopconc.spawn(task) for _ in range(n_tasks)])
    return most[0]


def try_acquire(sem, seconds):
    return "got it" if sem.acquire(timeout=seconds) else "busy"


def try_acquire_peek(sem, seconds):
    """Wrong: looks at the semaphore instead of waiting for it."""
    if sem.locked():
        return "busy"
    sem.acquire()
    return "got it"


def try_acquire_gives_back(sem, seconds):
    """Wrong: takes the permit and releases it at once."""
    if sem.acquire(timeout=seconds):
        sem.release()
        return "got it"
    return "busy"


SOLUTIONS = {"12.1": max_concurrency, "12.2": try_acquire}
WRONG = {
    "12.1": [max_concurrency_claimed, max_concurrency_no_semaphore],
    "12.2": [try_acquire_peek, try_acquire_gives_back],
}
