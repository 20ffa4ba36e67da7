"""Worked solutions of notebook 04's exercises, and plausible wrong answers the checker rejects."""

import coopconc


def round_robin(names, rounds):
    out = []

    def player(name):
        for i in range(rounds):
            out.append(f"{name}{i}")
            coopconc.sleep(0)

    coopconc.joinall([coopconc.spawn(player, name) for name in names])
    return out


def round_robin_computed(names, rounds):
    """Wrong: builds the list directly; no greenlet takes a turn."""
    return [f"{name}{i}" for i in range(rounds) for name in names]


def round_robin_no_yield(names, rounds):
    """Wrong: forgets coopconc.sleep(0), so each greenlet appends all its items at once."""
    out = []

    def player(name):
        for i in range(rounds):
            out.append(f"{name}{i}")

    coopconc.joinall([coopconc.spawn(player, name) for name in names])
    return out


def batch_time(delays, concurrent):
    with coopconc.virtual_clock():
        start = coopconc.now()
        if concurrent:
            coopconc.joinall([coopconc.spawn(coopconc.sleep, d) for d in delays])
        else:
            for d in delays:
                coopconc.spawn(coopconc.sleep, d).join()
        return coopconc.now() - start


def batch_time_computed(delays, concurrent):
    """Wrong: computes the time from the delays instead of measuring it."""
    return float(max(delays) if concurrent else sum(delays))


def batch_time_always_serial(delays, concurrent):
    """Wrong: ignores `concurrent` and runs the tasks one after another."""
    with coopconc.virtual_clock():
        start = coopconc.now()
        for d in delays:
            coopconc.spawn(coopconc.sleep, d).join()
        return coopconc.now() - start


SOLUTIONS = {"04.1": round_robin, "04.2": batch_time}
WRONG = {
    "04.1": [round_robin_computed, round_robin_no_yield],
    "04.2": [batch_time_computed, batch_time_always_serial],
}
