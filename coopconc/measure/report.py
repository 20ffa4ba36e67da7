"""Every measure at once, the text table, the two plots, and ``python -m coopconc.measure``."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable

from coopconc.measure.common import CHANNELS, KINDS, human, kinds_of
from coopconc.measure.cpu import cpu_scaling, gil_enabled
from coopconc.measure.create import create_cost
from coopconc.measure.memory import memory_cost
from coopconc.measure.message import message_cost
from coopconc.measure.switch import switch_cost

MEASURES = {
    "create": create_cost,
    "switch": switch_cost,
    "memory": memory_cost,
    "message": message_cost,
    "cpu": cpu_scaling,
}

_TITLES = {
    "create": "create + finish one unit",
    "switch": "one switch (round trip A -> B -> A)",
    "memory": "memory per idle unit",
    "message": "move one message producer -> consumer",
    "cpu": "CPU-bound work split over workers",
}

#: How each row is named in a picture: plainly, what was really used.
LABELS = {
    "process": "multiprocessing\nProcess",
    "fork": "os.fork",
    "thread": "threading\nThread",
    "greenlet": "raw\ngreenlet",
    "Greenlet": "coopconc\nGreenlet",
    "generator": "generator",
    "pipe": "os.pipe\n(2 processes)",
    "shared_memory": "shared memory\n(2 processes)",
    "queue.Queue": "queue.Queue\n(2 threads)",
    "coopconc.Queue": "coopconc Queue\n(2 greenlets)",
}
SWITCH_LABELS = {
    "process": "multiprocessing\nPipe",
    "fork": "os.fork\n+ pipe",
    "thread": "2 threads +\nSimpleQueue",
}

#: Where each row's units live, which is the colour key of the pictures.
_PLACE = {
    "process": "separate processes",
    "fork": "separate processes",
    "pipe": "separate processes",
    "shared_memory": "separate processes",
    "thread": "OS threads of one process",
    "queue.Queue": "OS threads of one process",
}
_COLOURS = {
    "separate processes": "tab:red",
    "OS threads of one process": "tab:orange",
    "one thread (coroutines)": "tab:green",
}


def measure_all(
    quick: bool | None = None,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, list[dict]]:
    """Run the chosen measures (all by default): ``{"create": rows, "switch": rows, ...}``.

    ``progress(done, total, label)`` is called before each step.
    """
    names = kinds_of(only, MEASURES, "measure_all", "only", "measure")
    steps = []
    for name in names:
        if name == "message":
            steps += [(name, {"channels": [c]}, c) for c in CHANNELS]
        elif name == "cpu":
            steps.append((name, {}, "threads vs processes"))
        else:
            steps += [(name, {"kinds": [k]}, k) for k in KINDS]
    results: dict[str, list[dict]] = {name: [] for name in names}
    for i, (name, kwargs, label) in enumerate(steps):
        if progress is not None:
            progress(i, len(steps), f"{name}: {label}")
        results[name] += MEASURES[name](quick=quick, **kwargs)
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return results


def format_table(rows: list[dict]) -> str:
    """The rows of one measure as an aligned text table."""
    if not rows:
        return "(no rows)"
    measure = rows[0]["measure"]
    lines = [f"== {_TITLES.get(measure, measure)} =="]
    if measure == "cpu":
        lines[0] += f" (GIL {'on' if gil_enabled() else 'off: free-threaded build'})"
        lines.append(f"{'kind':<10} {'workers':>7} {'seconds':>9} {'speed-up':>9} {'cores':>6}")
        for r in rows:
            lines.append(
                f"{r['kind']:<10} {r['workers']:>7} {r['seconds']:>9.3f} "
                f"{r['speedup']:>8.2f}x {r['cores_used']:>6.2f}"
            )
        return "\n".join(lines)
    if measure == "message":
        lines[0] += f" ({rows[0]['size']} bytes each)"
    extra = {"memory": "counted", "switch": "how", "message": "how"}.get(measure)
    lines.append(f"{'kind':<15} {'n':>8} {'per unit':>10}" + ("  " + extra if extra else ""))
    for r in rows:
        line = f"{r['kind']:<15} {r['n']:>8} {human(r['per_unit'], r['unit']):>10}"
        if measure == "memory":
            line += f"  {r['counted']}"
            if r["kind"] in ("process", "fork"):
                line += f"; RSS added up: {human(r['rss_per_unit'], 'bytes')}"
        elif extra:
            line += f"  {r[extra]}"
        lines.append(line)
    return "\n".join(lines)


def plot_costs(rows: list[dict], ax=None, title: str | None = None):
    """Draw one measure's rows as bars on a log scale, each labelled with its value, coloured
    by where the units live (processes, threads, one thread) with a legend saying so.

    Returns the matplotlib Axes (a new figure is made when ``ax`` is None).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if not rows:
        raise ValueError("plot_costs(rows=[]): nothing to draw; pass the rows a measure returned")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 3.6))
    measure = rows[0]["measure"]
    names = SWITCH_LABELS if measure == "switch" else {}
    labels = [names.get(r["kind"], LABELS.get(r["kind"], r["kind"])) for r in rows]
    places = [_PLACE.get(r["kind"], "one thread (coroutines)") for r in rows]
    values = [r["per_unit"] for r in rows]
    unit = rows[0]["unit"]
    bars = ax.bar(labels, values, color=[_COLOURS[p] for p in places])
    ax.set_yscale("log")
    for bar, value in zip(bars, values):
        ax.annotate(
            human(value, unit),
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel("bytes per unit (log scale)" if unit == "bytes" else "seconds (log scale)")
    default = _TITLES.get(measure, measure)
    if measure == "message":
        default += f", {rows[0]['size']} bytes"
    ax.set_title(title or default)
    used = [p for p in _COLOURS if p in places]
    ax.legend(
        handles=[Patch(color=_COLOURS[p], label=p) for p in used],
        fontsize=8,
        loc="upper right",
    )
    ax.margins(y=0.3)
    ax.figure.tight_layout()
    return ax


def plot_speedup(rows: list[dict], ax=None):
    """Draw ``cpu_scaling`` rows: speed-up against the number of workers, one line per kind,
    with the ideal (one core per worker, up to this machine's CPUs) dashed."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("plot_speedup(rows=[]): nothing to draw; pass cpu_scaling()'s rows")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(6, 3.8))
    counts = sorted({r["workers"] for r in rows})
    cpus = os.cpu_count() or 1
    ax.plot(counts, [min(w, cpus) for w in counts], "k--", label=f"ideal ({cpus} CPUs)")
    for kind, marker, label in (("thread", "o", "threads"), ("process", "s", "processes")):
        mine = sorted((r["workers"], r["speedup"]) for r in rows if r["kind"] == kind)
        if mine:
            ax.plot(*zip(*mine), marker=marker, label=label)
            for w, s in mine:
                ax.annotate(
                    f"{s:.1f}x", (w, s), textcoords="offset points", xytext=(4, 4), fontsize=8
                )
    ax.set_xticks(counts)
    ax.set_xlabel("workers sharing the same work (count)")
    ax.set_ylabel("speed-up over 1 worker (x)")
    gil = "GIL on" if gil_enabled() else "free-threaded, no GIL"
    ax.set_title(f"Pure-Python work split over workers ({gil})")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8)
    ax.figure.tight_layout()
    return ax


def main(argv: list[str] | None = None) -> int:
    """``python -m coopconc.measure [--quick] [--only create,switch,...] [--json]``"""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m coopconc.measure",
        description="Measure processes, threads, greenlets and generators on this machine.",
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a few seconds")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated measures to run (default all): {', '.join(MEASURES)}",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead")
    args = parser.parse_args(argv)
    only = None
    if args.only:
        only = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in only if name not in MEASURES]
        if unknown:
            parser.error(
                f"--only: unknown measure {unknown[0]!r}; choose from {', '.join(MEASURES)}"
            )

    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, label: str) -> None:
        text = f"[{done:>2}/{total}] {label}"
        if interactive:
            sys.stderr.write("\r" + text.ljust(60) + ("\n" if done == total else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    t0 = time.perf_counter()
    results = measure_all(quick=args.quick, only=only, progress=progress)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for rows in results.values():
            print(format_table(rows))
            print()
        print(f"(measured in {time.perf_counter() - t0:.1f} s on {os.cpu_count()} CPUs)")
    return 0
