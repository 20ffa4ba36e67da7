"""Worked solutions of notebook 06's exercises, and plausible wrong answers the checker rejects."""

import coopconc


def describe(g):
    # `started` is False again once a greenlet is dead (as in gevent): ask ready() first.
    if g.ready():
        if g.successful():
            if isinstance(g.value, coopconc.GreenletExit):
                return "killed"  # kill() ends a greenlet "successfully", with GreenletExit
            return f"returned {g.value!r}"
        return f"raised {type(g.exception).__name__}"
    return "running or waiting" if g.started else "not started"


def describe_forgets_kill(g):
    """Wrong: a killed greenlet counts as successful, so it reads "returned GreenletExit()"."""
    if g.ready():
        if g.successful():
            return f"returned {g.value!r}"
        return f"raised {type(g.exception).__name__}"
    return "running or waiting" if g.started else "not started"


def describe_by_repr(g):
    """Wrong: reads the answer out of repr() instead of the public flags."""
    text = repr(g)
    if "not started" in text:
        return "not started"
    return text


def race(functions):
    greenlets = [coopconc.spawn(f) for f in functions]
    try:
        for g in coopconc.iwait(greenlets):
            if g.successful():
                return g.value
    finally:
        coopconc.killall(greenlets)
    return None


def race_waits_for_all(functions):
    """Wrong: waits for every greenlet, then picks the fastest."""
    greenlets = [coopconc.spawn(f) for f in functions]
    coopconc.joinall(greenlets)
    return min((g for g in greenlets if g.successful()), key=lambda g: g.value).value


def race_no_kill(functions):
    """Wrong: returns the first value but leaves the losers running."""
    greenlets = [coopconc.spawn(f) for f in functions]
    for g in coopconc.iwait(greenlets):
        if g.successful():
            return g.value
    return None


def race_first_done(functions):
    """Wrong: takes the first greenlet to finish, even if it failed."""
    greenlets = [coopconc.spawn(f) for f in functions]
    first = next(iter(coopconc.iwait(greenlets)))
    coopconc.killall(greenlets)
    return first.value


SOLUTIONS = {"06.1": describe, "06.2": race}
WRONG = {
    "06.1": [describe_forgets_kill, describe_by_repr],
    "06.2": [race_waits_for_all, race_no_kill, race_first_done],
}
