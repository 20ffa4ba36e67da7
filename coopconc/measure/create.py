"""Creating one unit: make it, let it run a function that returns at once, wait for its end."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping

import greenlet

from coopconc.measure.common import CREATE_N, FORK, time_each_kind


def _nothing():
    return None


def _empty_generator():
    return
    yield  # makes this function a generator


def _create_process(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        p = FORK.Process(target=_nothing)
        p.start()
        p.join()
    return time.perf_counter() - t0


def _create_fork(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)  # the child: leave at once, without running any clean-up
        os.waitpid(pid, 0)
    return time.perf_counter() - t0


def _create_thread(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        t = threading.Thread(target=_nothing)
        t.start()
        t.join()
    return time.perf_counter() - t0


def _create_greenlet(n: int) -> float:
    make = greenlet.greenlet
    t0 = time.perf_counter()
    for _ in range(n):
        make(_nothing).switch()  # runs it to its end, then we are back here
    return time.perf_counter() - t0


def _create_coopconc_greenlet(n: int) -> float:
    import coopconc

    t0 = time.perf_counter()
    coopconc.joinall([coopconc.spawn(_nothing) for _ in range(n)])
    return time.perf_counter() - t0


def _create_generator(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        next(_empty_generator(), None)
    return time.perf_counter() - t0


_CREATE = {
    "process": _create_process,
    "fork": _create_fork,
    "thread": _create_thread,
    "greenlet": _create_greenlet,
    "Greenlet": _create_coopconc_greenlet,
    "generator": _create_generator,
}


def create_cost(
    kinds: Iterable[str] | None = None,
    n: int | Mapping[str, int] | None = None,
    quick: bool | None = None,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds to create one unit, run an empty function in it, and wait for it to finish.

    One row per kind: ``{"measure": "create", "kind", "n", "seconds", "per_unit", "unit"}``.
    """
    return time_each_kind("create", _CREATE, CREATE_N, kinds, n, quick, repeat, "create_cost")
