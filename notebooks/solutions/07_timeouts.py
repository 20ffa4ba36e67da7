"""Worked solutions of notebook 07's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc import Timeout


def fetch_with_retries(attempt_times, limit):
    for i, seconds in enumerate(attempt_times):
        try:
            with Timeout(limit):
                coopconc.sleep(seconds)
            return i
        except Timeout:
            continue
    return None


def fetch_with_retries_computed(attempt_times, limit):
    """Wrong: finds the index without trying anything."""
    return next((i for i, t in enumerate(attempt_times) if t < limit), None)


def fetch_with_retries_no_limit(attempt_times, limit):
    """Wrong: lets each attempt run to its end and only then compares with the limit."""
    for i, seconds in enumerate(attempt_times):
        coopconc.sleep(seconds)
        if seconds < limit:
            return i
    return None


def first_or_default(greenlets, seconds, default):
    done = coopconc.wait(greenlets, timeout=seconds, count=1)
    return done[0].value if done else default


def first_or_default_kills(greenlets, seconds, default):
    """Wrong: kills the others after the first one."""
    done = coopconc.wait(greenlets, timeout=seconds, count=1)
    coopconc.killall(greenlets)
    return done[0].value if done else default


def first_or_default_falsy(greenlets, seconds, default):
    """Wrong: a first value that is falsy (None, 0) is replaced by the default."""
    done = coopconc.wait(greenlets, timeout=seconds, count=1)
    return (done and done[0].value) or default


def first_or_default_waits_all(greenlets, seconds, default):
    """Wrong: waits for all of them, not the first."""
    done = coopconc.wait(greenlets, timeout=seconds)
    finished = [g for g in greenlets if g.ready()]
    return finished[0].value if done and finished else default


SOLUTIONS = {"07.1": fetch_with_retries, "07.2": first_or_default}
WRONG = {
    "07.1": [fetch_with_retries_computed, fetch_with_retries_no_limit],
    "07.2": [first_or_default_kills, first_or_default_falsy, first_or_default_waits_all],
}
