"""Checkers of notebook 01 (processes, threads, coroutines)."""

from __future__ import annotations

import os
import time

from coopconc.exercises._common import call_in_thread, expect
from coopconc.exercises._watch import ThreadSpans


def check_native_ids(native_ids) -> str:
    for k in (1, 3, 5):
        with ThreadSpans() as spans:
            ids = call_in_thread(native_ids, (k,), 10)
        expect(isinstance(ids, list), f"native_ids({k}) returned {ids!r}; return a list of ids")
        expect(
            len(ids) == k and len(set(ids)) == k,
            f"native_ids({k}) returned {ids!r}; expected {k} different ids",
        )
        expect(os.getpid() not in ids, f"native_ids({k}) returned the process id {os.getpid()}")
        expect(
            set(ids) <= spans.native_ids(),
            f"native_ids({k}) returned {ids!r}, which are not the ids of the threads it started; "
            "call threading.get_native_id() inside each thread",
        )
        expect(
            spans.all_alive_together(),
            f"native_ids({k}): the threads did not all live at the same time; make each wait "
            "until all have reported (threading.Barrier(k)) before returning",
        )
    return "k different native ids, collected while all k threads were alive"


def check_sleep_in_threads(sleep_in_threads) -> str:
    for k, seconds in ((1, 0.05), (4, 0.05), (8, 0.03)):
        started = time.perf_counter()
        with ThreadSpans() as spans:
            elapsed = call_in_thread(sleep_in_threads, (k, seconds), 10)
        took = time.perf_counter() - started
        expect(
            isinstance(elapsed, float),
            f"sleep_in_threads({k}, {seconds}) returned {elapsed!r}; return the elapsed seconds",
        )
        expect(
            len(spans.spans) >= k,
            f"sleep_in_threads({k}, {seconds}) started {len(spans.spans)} thread(s); start {k}",
        )
        expect(
            spans.all_alive_together(),
            f"sleep_in_threads({k}, {seconds}): the threads did not run at the same time; "
            "start them all first, then join them all",
        )
        expect(
            seconds <= elapsed <= took,
            f"sleep_in_threads({k}, {seconds}) returned {elapsed!r}, but the call took "
            f"{took:.3f} s; measure with time.perf_counter() around starting and joining",
        )
    return "the sleeps overlapped: k threads sleeping together take about one sleep"


def check_bucket(bucket) -> str:
    cases = [
        (5e-8, "ns"), (9.99e-7, "ns"), (1e-6, "us"), (8e-6, "us"), (1e-3, "ms"),
        (3.5e-3, "ms"), (0.999, "ms"), (1.0, "s"), (2.0, "s"), (0.0, "ns"),
    ]  # fmt: skip
    wrong = [(s, want, bucket(s)) for s, want in cases if bucket(s) != want]
    expect(
        not wrong,
        "; ".join(f"bucket({s}) returned {got!r}, expected {want!r}" for s, want, got in wrong[:3])
        + " (a bound belongs to the bigger unit: 1e-6 is 'us')",
    )
    return f"{len(cases)} durations named right, bounds included"


CHECKS = {"01.1": check_native_ids, "01.2": check_sleep_in_threads, "01.3": check_bucket}
