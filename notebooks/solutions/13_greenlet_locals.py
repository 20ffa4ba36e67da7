"""Worked solutions of notebook 13's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.local import local


def count_calls(names, calls):
    class Counter(local):
        def __init__(self):
            self.count = 0

    counter = Counter()

    def bump():
        counter.count += 1
        coopconc.sleep(0)

    def worker(name):
        for _ in range(calls):
            bump()
        return counter.count

    greenlets = [coopconc.spawn(worker, name) for name in names]
    coopconc.joinall(greenlets)
    return [g.value for g in greenlets]


def count_calls_shared(names, calls):
    """Wrong: one plain object shared by every greenlet counts all the calls together."""

    class Counter:
        count = 0

    counter = Counter()

    def worker(name):
        for _ in range(calls):
            counter.count += 1
            coopconc.sleep(0)
        return counter.count

    greenlets = [coopconc.spawn(worker, name) for name in names]
    coopconc.joinall(greenlets)
    return [g.value for g in greenlets]


def count_calls_claimed(names, calls):
    """Wrong: states the answer without running anything."""
    return [calls] * len(names)


def serve(users):
    current = local()

    def greet():
        return f"hello {current.user}"

    def handler(user):
        current.user = user
        coopconc.sleep(0.1)
        return greet()

    greenlets = [coopconc.spawn(handler, user) for user in users]
    coopconc.joinall(greenlets)
    return [g.value for g in greenlets]


class _Plain:
    pass


def serve_global(users):
    """Wrong: a plain shared object instead of a local: the last user wins."""
    current = _Plain()

    def greet():
        return f"hello {current.user}"

    def handler(user):
        current.user = user
        coopconc.sleep(0.1)
        return greet()

    greenlets = [coopconc.spawn(handler, user) for user in users]
    coopconc.joinall(greenlets)
    return [g.value for g in greenlets]


def serve_one_by_one(users):
    """Wrong: handles the users one after another."""
    current = local()
    out = []
    for user in users:
        current.user = user
        coopconc.sleep(0.1)
        out.append(f"hello {current.user}")
    return out


SOLUTIONS = {"13.1": count_calls, "13.2": serve}
WRONG = {
    "13.1": [count_calls_shared, count_calls_claimed],
    "13.2": [serve_global, serve_one_by_one],
}
