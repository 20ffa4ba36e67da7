"""Measure, on this machine, what processes, threads, greenlets and generators cost.

What it is
    The course opens (notebook 01) with a comparison of processes, threads and coroutines:
    which is expensive to create, to switch between, to keep alive and to talk through. This
    package turns each of those claims into a measurement. Every function runs a small
    experiment and returns plain rows (a list of dicts) that a notebook can print or plot;
    ``python -m coopconc.measure`` runs them all and prints a table. It is coopconc's own
    addition: gevent has nothing like it.

The units compared (``KINDS``)
    ``process``    a ``multiprocessing`` process (start method "fork");
    ``fork``       a bare ``os.fork()`` child, the C-like way;
    ``thread``     a ``threading.Thread`` (a real OS thread);
    ``greenlet``   a raw ``greenlet.greenlet``, switched by hand;
    ``Greenlet``   a ``coopconc.Greenlet``, scheduled by the hub;
    ``generator``  a Python generator driven with ``next``/``send``.

One small module per measure
    ``create``   make one unit, let it run a function that returns at once, wait for its end;
    ``switch``   a round trip A -> B -> A (a pipe ping-pong between processes, two queues
                 between threads, ``greenlet.switch``, ``coopconc.sleep(0)``, ``generator.send``);
    ``memory``   how much memory grows with N idle units alive, in a fresh interpreter;
    ``message``  moving one message from a producer to a consumer (a pipe, shared memory,
                 ``queue.Queue``, a coopconc queue, ``generator.send``), at any size;
    ``cpu``      a pure-Python loop split over 1, 2 and 4 threads or processes (the GIL);
    ``report``   every measure at once, the text table and the two plots;
    ``common``   the sizes of each experiment, argument checks, best-of-N timing, rows.

Only public names of the hub and of greenlet are used (``coopconc.spawn``, ``joinall``,
``sleep``, ``coopconc.hub.Waiter``, ``coopconc.queue.Queue``, ``greenlet.greenlet``).

Timings are the best of a few repeats (the least disturbed run). They change between machines
and runs; compare orders of magnitude and ratios, not digits. Linux only (``/proc``, ``fork``).
"""

from __future__ import annotations

from coopconc.measure.common import CHANNELS, CREATE_N, KINDS, MEMORY_N, SWITCH_N, human
from coopconc.measure.cpu import cpu_scaling, spin
from coopconc.measure.create import create_cost
from coopconc.measure.memory import memory_cost
from coopconc.measure.message import message_cost
from coopconc.measure.report import (
    MEASURES,
    format_table,
    main,
    measure_all,
    plot_costs,
    plot_speedup,
)
from coopconc.measure.switch import switch_cost

__all__ = [
    "KINDS",
    "CHANNELS",
    "CREATE_N",
    "SWITCH_N",
    "MEMORY_N",
    "MEASURES",
    "create_cost",
    "switch_cost",
    "memory_cost",
    "message_cost",
    "cpu_scaling",
    "spin",
    "measure_all",
    "format_table",
    "human",
    "plot_costs",
    "plot_speedup",
    "main",
]
