"""CPU-bound work: the same pure-Python loop split over 1, 2, 4 threads or processes.

On the usual CPython build the GIL lets one thread run bytecode at a time, so threads use about
one core between them; on a free-threaded build (3.13t and later, ``sys._is_gil_enabled()``
false) they can use several. ``gil_enabled()`` says which build this is.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable

from coopconc.measure.common import CPU_WORK, FORK, count, is_quick, kinds_of


def gil_enabled() -> bool:
    """True when this interpreter runs with a GIL (every build before 3.13, and the default
    build after it); False on a free-threaded build running without one."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def spin(iterations: int) -> int:
    """Pure-Python busy work: add up the numbers below ``iterations``, one bytecode loop."""
    total = 0
    for i in range(iterations):
        total += i
    return total


def _cpu_threads(workers: int, work: int) -> tuple[float, float]:
    threads = [threading.Thread(target=spin, args=(work // workers,)) for _ in range(workers)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, time.process_time() - cpu0


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _cpu_processes(workers: int, work: int) -> tuple[float, float]:
    procs = [FORK.Process(target=spin, args=(work // workers,)) for _ in range(workers)]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return time.perf_counter() - t0, _children_cpu() - cpu0


def cpu_scaling(
    workers: Iterable[int] = (1, 2, 4),
    kinds: Iterable[str] | None = None,
    work: int | None = None,
    quick: bool | None = None,
    repeat: int = 2,
) -> list[dict]:
    """The same pure-Python work split over ``workers`` threads or processes.

    One row per (kind, workers): ``seconds`` (wall clock, best of ``repeat``), ``speedup``
    (the 1-worker time of that kind divided by this time) and ``cores_used`` (CPU seconds
    divided by wall seconds: about 1 at most for threads when the GIL is on).
    """
    kinds = kinds_of(kinds, ("thread", "process"), "cpu_scaling")
    workers = list(workers)
    if not workers:
        raise ValueError("cpu_scaling(workers=[]): give at least one number of workers")
    for w in workers:
        count(w, "workers", "cpu_scaling")
    repeat = count(repeat, "repeat", "cpu_scaling")
    quick = is_quick(quick)
    work = CPU_WORK[1 if quick else 0] if work is None else count(work, "work", "cpu_scaling")
    run = {"thread": _cpu_threads, "process": _cpu_processes}
    counts = sorted(set(workers) | {1})
    best: dict = {}
    # Interleave the kinds and repeats, so a burst of load elsewhere hits both alike.
    for _ in range(repeat):
        for w in counts:
            for kind in kinds:
                wall, cpu = run[kind](w, work)
                if (kind, w) not in best or wall < best[kind, w][0]:
                    best[kind, w] = (wall, cpu)
    rows = []
    for kind in kinds:
        for w in workers:
            wall, cpu = best[kind, w]
            rows.append(
                {
                    "measure": "cpu",
                    "kind": kind,
                    "workers": w,
                    "work": work,
                    "seconds": wall,
                    "speedup": best[kind, 1][0] / wall,
                    "cores_used": cpu / wall,
                }
            )
    return rows
