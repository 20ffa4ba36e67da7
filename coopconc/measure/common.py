"""What every measure shares: the units compared, how many of each, argument checks, timing.

The sizes come in pairs (full run, quick run). ``quick=None`` (the default of every measure)
means the course size: the quick run, unless the environment variable ``COOPCONC_FULL=1`` asks
for the full one -- so notebook 01 runs in class time and a student can still see the
full-size figures with ``COOPCONC_FULL=1 make lab``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping

#: The units compared, from heaviest to lightest.
KINDS = ("process", "fork", "thread", "greenlet", "Greenlet", "generator")

#: The ways of moving a message measured by ``message_cost``: name -> what moves it.
CHANNELS = {
    "pipe": "os.pipe between two processes (through the kernel)",
    "shared_memory": "multiprocessing.shared_memory between two processes",
    "queue.Queue": "queue.Queue between two threads",
    "coopconc.Queue": "coopconc.queue.Queue between two greenlets",
    "generator": "generator.send within one thread",
}

# How many units each experiment uses: kind -> (full run, quick run).
CREATE_N = {
    "process": (30, 3),
    "fork": (60, 6),
    "thread": (500, 40),
    "greenlet": (20_000, 500),
    "Greenlet": (20_000, 500),
    "generator": (100_000, 2000),
}
SWITCH_N = {
    "process": (3000, 100),
    "fork": (3000, 100),
    "thread": (3000, 100),
    "greenlet": (100_000, 2000),
    "Greenlet": (50_000, 1000),
    "generator": (200_000, 5000),
}
MEMORY_N = {
    "process": (16, 6),
    "fork": (16, 6),
    "thread": (400, 100),
    "greenlet": (10_000, 3000),
    "Greenlet": (10_000, 3000),
    "generator": (50_000, 20_000),
}
MESSAGE_N = (30_000, 500)
CPU_WORK = (8_000_000, 600_000)  # loop iterations, shared out between the workers

#: How many times each timing is repeated (full run, quick run); the shortest run is kept.
REPEAT = (5, 5)
#: Starting a process takes milliseconds (more in a big Jupyter kernel, whose page tables fork
#: copies): fewer repeats for the kinds that start one per run (full run, quick run).
REPEAT_PROCESS = (3, 2)

#: The environment variable that turns the course's quick measurements into full-size ones.
FULL_SWITCH = "COOPCONC_FULL"

FORK = multiprocessing.get_context("fork")


def is_quick(quick: bool | None) -> bool:
    """``quick`` as given, or (None) quick unless ``COOPCONC_FULL=1`` is set."""
    if quick is None:
        return os.environ.get(FULL_SWITCH, "") not in ("1", "true", "yes")
    return bool(quick)


def kinds_of(
    kinds: Iterable[str] | None,
    allowed: Iterable[str],
    caller: str,
    param: str = "kinds",
    what: str = "kind",
) -> list[str]:
    """The chosen names (all of ``allowed`` for None), each checked against ``allowed``."""
    allowed = list(allowed)
    if kinds is None:
        return allowed
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds)
    if not kinds:
        raise ValueError(f"{caller}({param}=[]): give at least one of {', '.join(allowed)}")
    for kind in kinds:
        if kind not in allowed:
            raise ValueError(
                f"{caller}({param}=[..., {kind!r}, ...]): unknown {what} {kind!r}; "
                f"choose from {', '.join(allowed)}"
            )
    return kinds


def count(value: int, what: str, caller: str) -> int:
    """``value`` if it is a whole number >= 1, else a TypeError/ValueError naming the call."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{caller}({what}={value!r}): {what} must be a whole number")
    if value <= 0:
        raise ValueError(f"{caller}({what}={value}): {what} must be >= 1")
    return value


def n_for(kind: str, n, table: Mapping, quick: bool, caller: str) -> int:
    """How many units of ``kind``: ``n`` (a number, or a per-kind mapping) or the table's."""
    if n is None:
        return table[kind][1 if quick else 0]
    if isinstance(n, Mapping):
        if kind not in n:
            return table[kind][1 if quick else 0]
        return count(n[kind], "n", caller)
    return count(n, "n", caller)


def repeats(repeat: int | None, quick: bool, caller: str, kind: str = "") -> int:
    """``repeat`` as given, or the default for this size (fewer for processes)."""
    if repeat is None:
        table = REPEAT_PROCESS if kind in ("process", "fork") else REPEAT
        return table[1 if quick else 0]
    return count(repeat, "repeat", caller)


def best(repeat: int, run: Callable[..., float], *args) -> float:
    """The shortest of ``repeat`` timings of ``run(*args)``: the run least disturbed by the
    rest of the machine."""
    return min(run(*args) for _ in range(repeat))


def time_each_kind(
    measure: str,
    runs: Mapping[str, Callable[[int], float]],
    table: Mapping,
    kinds: Iterable[str] | None,
    n,
    quick: bool | None,
    repeat: int | None,
    caller: str,
    **extra: Mapping[str, object],
) -> list[dict]:
    """One row per kind: ``runs[kind](units)`` timed (best of the repeats), divided by units.

    ``extra`` maps a column name to a per-kind value (``how=SWITCH_HOW``).
    """
    kinds = kinds_of(kinds, KINDS, caller)
    quick = is_quick(quick)
    rows = []
    for kind in kinds:
        units = n_for(kind, n, table, quick, caller)
        seconds = best(repeats(repeat, quick, caller, kind), runs[kind], units)
        columns = {name: values[kind] for name, values in extra.items()}
        rows.append(row(measure, kind, units, seconds, seconds / units, **columns))
    return rows


def row(measure, kind, n, seconds, per_unit, unit="s", **extra) -> dict:
    return {
        "measure": measure,
        "kind": kind,
        "n": n,
        "seconds": seconds,
        "per_unit": per_unit,
        "unit": unit,
        **extra,
    }


def human(value: float, unit: str) -> str:
    """``2.5e-3, "s"`` -> ``"2.5 ms"``; ``3072, "bytes"`` -> ``"3.0 KiB"``."""
    if unit == "bytes":
        for scale, name in ((1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.1f} {name}"
    return f"{value * 1e9:.0f} ns"
