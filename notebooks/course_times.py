"""How long each notebook's cells take to run, as a teacher would run them in class.

    python notebooks/course_times.py            # every built notebook in notebooks/
    python notebooks/course_times.py 01 19      # the notebooks whose names start with 01 and 19
    COOPCONC_FULL=1 python notebooks/course_times.py 01   # the full-size measurements

Each notebook is executed with the project's kernel (as ``make notebooks`` does, nothing is
written back); the time of every code cell is read from the kernel's own execute_input and
execute_reply timestamps, so the kernel's start-up is not counted. The report lists the total
of cell times per notebook, the slowest cell, and flags every notebook over the class budget
(``--budget``, 3 s). ``make course-times`` runs it; it is a report, not a test.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import subprocess
import sys
import time

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent


def _stamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def cell_times(path: pathlib.Path) -> tuple[list[tuple[int, float]], float]:
    """[(cell index, seconds)] for every code cell, and the wall time including kernel start."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="coopconc",
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(HERE)}},
    )
    t0 = time.perf_counter()
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up chatter is not the report
    wall = time.perf_counter() - t0
    times = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        stamps = cell.metadata.get("execution", {})
        start = stamps.get("iopub.execute_input")
        end = stamps.get("shell.execute_reply")
        if start and end:
            times.append((index, (_stamp(end) - _stamp(start)).total_seconds()))
    return times, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose names start with these")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds of cells per notebook")
    parser.add_argument("--cells", action="store_true", help="also list every cell's time")
    args = parser.parse_args(argv)
    notebooks = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if args.prefixes:
        notebooks = [p for p in notebooks if any(p.name.startswith(x) for x in args.prefixes)]
    if not notebooks:
        parser.error("no built notebook matches; run `make notebooks` first")
    print(f"{'notebook':<42} {'cells':>7} {'slowest cell':>16} {'with kernel':>12}")
    over = []
    for path in notebooks:
        times, wall = cell_times(path)
        total = sum(seconds for _, seconds in times)
        index, slowest = max(times, key=lambda item: item[1]) if times else (0, 0.0)
        flag = "  over budget" if total > args.budget else ""
        print(
            f"{path.stem:<42} {total:>6.2f}s {slowest:>6.2f}s (cell {index:>2}) {wall:>11.1f}s{flag}",
            flush=True,
        )
        if flag:
            over.append(path.stem)
        if args.cells:
            for index, seconds in times:
                print(f"    cell {index:>2}: {seconds:6.2f}s")
    print(f"budget {args.budget:.1f} s of cells per notebook; over it: {', '.join(over) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
