"""Worked solutions of notebook 00's exercises, and plausible wrong answers the checker rejects."""

import coopconc


def rounds(names, gap):
    events = []

    def player(name):
        for _ in range(3):
            coopconc.sleep(1)
            events.append((coopconc.now(), name))

    with coopconc.virtual_clock():
        coopconc.joinall([coopconc.spawn_later(i * gap, player, n) for i, n in enumerate(names)])
    return events


def rounds_computed(names, gap):
    """Wrong: computes the schedule with arithmetic; no greenlet ever runs."""
    wakeups = [(i * gap + r, i, n) for i, n in enumerate(names) for r in (1, 2, 3)]
    return [(t, n) for t, _, n in sorted(wakeups)]


def rounds_one_after_another(names, gap):
    """Wrong: joins each player before starting the next."""
    events = []
    with coopconc.virtual_clock():
        for i, name in enumerate(names):
            g = coopconc.spawn_later(
                i * gap,
                lambda n=name: [
                    coopconc.sleep(1) or events.append((coopconc.now(), n)) for _ in range(3)
                ],
            )
            g.join()
    return events


SOLUTIONS = {"00.1": rounds}
WRONG = {"00.1": [rounds_computed, rounds_one_after_another]}
