"""Memory per idle unit: hold N of them alive and read how the process (family) grew.

Each kind is measured in a fresh Python interpreter (which runs ``memory_child`` and prints one
JSON line), so memory freed by earlier experiments cannot hide the growth.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping

import greenlet

from coopconc.measure.common import FORK, KINDS, MEMORY_N, is_quick, kinds_of, n_for, row


def _proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmSize of a process, in bytes, from /proc/<pid>/status."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmSize"):
                found[key] = int(value.split()[0]) * 1024
    return found


def _proc_pss(pid: int | str = "self") -> int | None:
    """Proportional set size in bytes (shared pages divided among their sharers), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _idle_child(ready_w: int, release_r: int) -> None:
    """A child process that says it is ready, then idles until released."""
    os.write(ready_w, b"r")
    os.read(release_r, 1)


def _hold_processes(kind: str, n: int, snapshot: Callable[[list[int]], None]) -> None:
    ready_r, ready_w = os.pipe()
    release_r, release_w = os.pipe()
    pids, procs = [], []
    try:
        for _ in range(n):
            if kind == "process":
                p = FORK.Process(target=_idle_child, args=(ready_w, release_r))
                p.start()
                procs.append(p)
                pids.append(p.pid)
            else:
                pid = os.fork()
                if pid == 0:
                    try:
                        _idle_child(ready_w, release_r)
                    finally:
                        os._exit(0)
                pids.append(pid)
        for _ in range(n):
            os.read(ready_r, 1)
        snapshot(pids)
    finally:
        os.write(release_w, b"x" * len(pids))
        for p in procs:
            p.join()
        if kind == "fork":
            for pid in pids:
                os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, release_r, release_w):
            os.close(fd)


def _hold_threads(n: int, snapshot: Callable[[], None]) -> None:
    started = threading.Semaphore(0)
    release = threading.Event()

    def idle():
        started.release()
        release.wait()

    threads = [threading.Thread(target=idle) for _ in range(n)]
    try:
        for t in threads:
            t.start()
        for _ in range(n):
            started.acquire()
        snapshot()
    finally:
        release.set()
        for t in threads:
            t.join()


def _idle_generator():
    yield


def _hold_in_thread(kind: str, n: int, snapshot: Callable[[], None]) -> None:
    keep = [None] * n  # allocated before the first snapshot: not counted
    if kind == "greenlet":
        main = greenlet.getcurrent()
        for i in range(n):
            g = keep[i] = greenlet.greenlet(main.switch)
            g.switch()  # it starts, switches back at once, and stays suspended
    elif kind == "Greenlet":
        import coopconc
        from coopconc.hub import Waiter

        def idle():
            Waiter().get()

        for i in range(n):
            keep[i] = coopconc.spawn(idle)
        coopconc.sleep(0)  # every one of them starts, parks in its Waiter, and we come back
    else:
        for i in range(n):
            g = keep[i] = _idle_generator()
            next(g)
    snapshot()


def memory_child(kind: str, n: int) -> dict:
    """Run in a fresh interpreter: hold n idle units and report how memory grew (bytes)."""
    gc.collect()
    before = _proc_status()
    pss_before = _proc_pss()
    result = {}

    def snapshot(pids=()):
        after = _proc_status()
        result["rss"] = after["VmRSS"] - before["VmRSS"]
        result["vm"] = after["VmSize"] - before["VmSize"]
        pss_after = _proc_pss()
        pss_total = None
        if pss_before is not None and pss_after is not None:
            pss_total = pss_after - pss_before
        for pid in pids:
            status = _proc_status(pid)
            result["rss"] += status["VmRSS"]
            result["vm"] += status["VmSize"]
            child_pss = _proc_pss(pid)
            pss_total = None if child_pss is None or pss_total is None else pss_total + child_pss
        result["pss"] = pss_total

    if kind in ("process", "fork"):
        _hold_processes(kind, n, snapshot)
    elif kind == "thread":
        _hold_threads(n, snapshot)
    else:
        _hold_in_thread(kind, n, snapshot)
    return result


def _package_root() -> str:
    here = os.path.dirname(os.path.abspath(__file__))  # .../coopconc/measure
    return os.path.dirname(os.path.dirname(here))


def memory_cost(
    kinds: Iterable[str] | None = None,
    n: int | Mapping[str, int] | None = None,
    quick: bool | None = None,
) -> list[dict]:
    """Bytes of memory each idle unit adds, with n of them alive at once.

    Each kind is measured in a fresh Python interpreter (a child of this one), so memory freed
    by earlier experiments cannot hide the growth. What is counted:

    * threads, greenlets, generators: growth of the process's resident memory (VmRSS in
      /proc/self/status) -- the pages really in RAM, not the address space reserved;
    * processes: the parent's growth plus every child's memory. ``rss_per_unit`` adds each
      child's VmRSS, which counts the pages a child still shares with its parent (copy-on-write
      after fork) once per child -- too much. ``per_unit`` uses PSS (/proc/<pid>/smaps_rollup),
      which splits each shared page among the processes sharing it: what the family of
      processes really costs the machine.

    ``vm_per_unit`` is the growth of the address space (VmSize): reserved, mostly never touched
    (a thread reserves a whole stack, 8 MiB by default, but uses a few pages of it).
    In these rows ``per_unit`` is in bytes and ``seconds`` is how long the measurement took.
    """
    kinds = kinds_of(kinds, KINDS, "memory_cost")
    quick = is_quick(quick)
    rows = []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_package_root(), env.get("PYTHONPATH")]))
    # One fresh interpreter per kind, all started at once: each reads only its own memory (and
    # its own children's), so running side by side does not blur the figures -- it only saves
    # the wall-clock time of starting interpreters one after another.
    counts = {kind: n_for(kind, n, MEMORY_N, quick, "memory_cost") for kind in kinds}
    children = {}
    t0 = time.perf_counter()
    for kind, units in counts.items():
        code = (
            "import json; from coopconc.measure.memory import memory_child; "
            f"print(json.dumps(memory_child({kind!r}, {units})))"
        )
        children[kind] = (
            units,
            subprocess.Popen(
                [sys.executable, "-c", code],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            ),
        )
    try:
        for kind, (units, child) in children.items():
            out, err = child.communicate(timeout=120)
            elapsed = time.perf_counter() - t0
            if child.returncode != 0:
                raise RuntimeError(
                    f"memory_cost: the child measuring {units} {kind} units failed:\n{err}"
                )
            found = json.loads(out.strip().splitlines()[-1])
            rss = max(found["rss"], 0)
            pss = found["pss"]
            headline = max(pss, 0) if (pss is not None and kind in ("process", "fork")) else rss
            rows.append(
                row(
                    "memory",
                    kind,
                    units,
                    elapsed,
                    headline / units,
                    "bytes",
                    rss_per_unit=rss / units,
                    vm_per_unit=max(found["vm"], 0) / units,
                    counted=(
                        "parent growth + children, PSS (shared pages split)"
                        if kind in ("process", "fork") and pss is not None
                        else "resident memory growth (VmRSS)"
                    ),
                )
            )
    finally:
        for _units, child in children.values():
            if child.poll() is None:
                child.kill()
                child.communicate()
    return rows
