"""Checkers of notebook 05 (determinism)."""

from __future__ import annotations

import coopconc
from coopconc.exercises._common import expect
from coopconc.exercises._watch import Switches
from coopconc.pool import Pool


def check_safe_total(safe_total) -> str:
    for greenlets, times in ((10, 20), (3, 5), (2, 7)):
        with coopconc.virtual_clock(), Switches() as seen:
            got = safe_total(greenlets, times)
        expect(
            got == greenlets * times,
            f"safe_total({greenlets}, {times}) returned {got!r}; expected {greenlets * times}",
        )
        expect(
            len(seen.workers) >= greenlets,
            f"safe_total({greenlets}, {times}) ran {len(seen.workers)} greenlet(s); "
            f"spawn {greenlets} and let them add",
        )
        expect(
            seen.turns_given_up() >= greenlets * times,
            f"safe_total({greenlets}, {times}): the greenlets gave way only "
            f"{seen.turns_given_up()} time(s); keep the coopconc.sleep(0) between read and "
            "write (the yield point) and protect the update with a lock instead",
        )
    return "the right total, with the yield point kept inside a locked update"


def _pool_order(durations):
    def task(i):
        coopconc.sleep(durations[i])
        return i

    with coopconc.virtual_clock():
        return list(Pool(len(durations)).imap_unordered(task, range(len(durations))))


def check_predict(predict) -> str:
    for durations in ([3, 1, 2], [2, 1, 2, 1], [0, 0, 0], [5, 1, 4, 1, 3], [1]):
        with Switches() as seen:
            got = predict(list(durations))
        expect(
            seen.hub_visits() == 0,
            f"predict({durations}) ran greenlets; predict the order without running anything",
        )
        actual = _pool_order(durations)
        expect(got == actual, f"predict({durations}): you said {got!r}, the pool gave {actual!r}")
    return "you predicted the pool's order, ties included"


CHECKS = {"05.1": check_safe_total, "05.2": check_predict}
