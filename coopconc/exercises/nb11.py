"""Checkers of notebook 11 (groups and pools)."""

from __future__ import annotations

import heapq

import coopconc
from coopconc.exercises._common import expect, quiet_hub
from coopconc.exercises._watch import Switches


def _crawl_time(durations, limit):
    """When the last fetch ends if each free slot takes the next URL at once."""
    slots = [0.0] * min(limit, len(durations))
    end = 0.0
    for d in durations:
        start = heapq.heappop(slots)
        end = max(end, start + d)
        heapq.heappush(slots, start + d)
    return end


def check_crawl(crawl) -> str:
    cases = [((3, 1, 2, 1), 2), ((1, 1, 1), 5), ((2, 2, 2, 2), 1), ((1, 4, 1, 1, 2), 3)]
    for numbers, limit in cases:
        urls = [f"http://x/{n}" for n in numbers]
        with coopconc.virtual_clock():
            got = crawl(urls, limit)
            took = coopconc.now()
        expected = ([f"<page {u}>" for u in urls], min(limit, len(urls)))
        ends = _crawl_time(numbers, limit)
        expect(
            got == expected,
            f"crawl({list(numbers)}, limit={limit}) returned {got!r}; expected {expected!r}",
        )
        expect(
            took == ends,
            f"crawl({list(numbers)}, limit={limit}) took {took:g} s; with {limit} at once it "
            f"takes {ends:g} s (a Pool({limit}) keeps every slot busy)",
        )
    return "every page, in order, never more than `limit` at once, and no slot idle"


def check_first_two(first_two) -> str:
    for durations in ([3, 1, 2], [5, 4, 1, 1], [1, 9], [2, 0.5, 3, 1]):
        expected = sorted(range(len(durations)), key=lambda i: durations[i])[:2]
        ends = sorted(durations)[1]
        with quiet_hub(), coopconc.virtual_clock(), Switches() as seen:
            got = first_two(list(durations))
            took = coopconc.now()
            coopconc.sleep(0)
            left = seen.alive_workers()
            coopconc.killall(left)
        expect(got == expected, f"first_two({durations}) returned {got!r}; expected {expected!r}")
        expect(
            took == ends,
            f"first_two({durations}) returned at t={took:g}; expected t={ends:g}, when the "
            "second one finished",
        )
        expect(
            len(seen.workers) >= len(durations),
            f"first_two({durations}) ran {len(seen.workers)} greenlet(s); run every sleep at once",
        )
        expect(not left, f"first_two({durations}) left {len(left)} greenlet(s) running; kill them")
    return "the two fastest, in order, and the rest killed"


CHECKS = {"11.1": check_crawl, "11.2": check_first_two}
