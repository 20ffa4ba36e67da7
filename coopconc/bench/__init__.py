"""Benchmarks: the same code timed on coopconc, on real gevent and (where it applies) on bare
greenlet, so that "at least as fast as gevent" is a measured claim, not a hope.

How it works
    A benchmark is a function ``fn(lib, n)`` registered with ``@benchmark(...)`` in one of the
    modules listed in ``MODULES``. ``lib`` gives it the library under test (``lib.mod`` is
    ``coopconc`` or ``gevent``; ``lib.sub("queue")`` is ``coopconc.queue`` or ``gevent.queue``),
    and it returns the seconds that ``n`` operations took. Each (benchmark, library) pair runs
    in a fresh child process, several times; the best time counts (the least disturbed run).

Run ``python -m coopconc.bench`` (``--help`` for options). Numbers are machine-dependent: the
ratio column (coopconc time / gevent time, lower is better) is what to compare.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

#: Modules that register benchmarks, in the order their rows are printed.
MODULES = [
    "coopconc.bench.core",
    "coopconc.bench.data",
    "coopconc.bench.pool",
    "coopconc.bench.io",
    "coopconc.bench.wsgi",
    "coopconc.bench.zeromq",
    "coopconc.bench.threadpool",
    "coopconc.bench.websocket",
]


@dataclass
class Benchmark:
    name: str
    fn: object
    unit: str
    n: int
    libs: tuple = ("coopconc", "gevent")
    group: str = ""
    notes: str = field(default="")


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, unit: str, n: int, libs=("coopconc", "gevent"), notes: str = ""):
    """Register ``fn(lib, n) -> seconds`` under ``name``."""

    def register(fn):
        REGISTRY[name] = Benchmark(name, fn, unit, n, tuple(libs), fn.__module__, notes)
        return fn

    return register


class Lib:
    """The library under test, as the benchmark function sees it."""

    def __init__(self, name: str):
        self.name = name
        self.mod = importlib.import_module(name) if name != "greenlet" else None

    def sub(self, module: str):
        """``lib.sub("queue")`` -> coopconc.queue or gevent.queue."""
        return importlib.import_module(f"{self.name}.{module}")

    def __repr__(self) -> str:
        return f"<Lib {self.name}>"


def load_all() -> dict[str, Benchmark]:
    for module in MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REGISTRY
