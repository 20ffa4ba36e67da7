"""Measure, on this machine, what processes, threads, greenlets and generators cost.

What it is
    The course opens (notebook 01) with a comparison of processes, threads and coroutines:
    which is expensive to create, to switch between, to keep alive and to talk through. This
    module turns each of those claims into a measurement. Every function runs a small
    experiment and returns plain rows (a list of dicts) that a notebook can print or plot;
    ``python -m coopconc.measure`` runs them all and prints a table.

The units compared (``KINDS``)
    ``process``    a ``multiprocessing`` process (start method "fork");
    ``fork``       a bare ``os.fork()`` child, the C-like way;
    ``thread``     a ``threading.Thread`` (a real OS thread);
    ``greenlet``   a raw ``greenlet.greenlet``, switched by hand;
    ``Greenlet``   a ``coopconc.Greenlet``, scheduled by the hub;
    ``generator``  a Python generator driven with ``next``/``send``.

How each cost is measured
    * create: make one unit, let it run a function that returns at once, wait for its end;
    * switch: a round trip A -> B -> A (a pipe ping-pong between processes, two queues
      between threads, ``greenlet.switch``, ``coopconc.sleep(0)``, ``generator.send``);
    * memory: how much resident memory grows with N idle units alive, measured in a fresh
      interpreter so earlier experiments do not blur it (see ``memory_cost``);
    * message: the cost of moving one message from a producer to a consumer (a pipe through
      the kernel, shared memory, ``queue.Queue``, a coopconc queue, ``generator.send``);
    * cpu: a pure-Python loop split over 1, 2 and 4 threads or processes (the GIL at work).

Timings are the best of a few repeats (the least disturbed run). They change between machines
and runs; compare orders of magnitude and ratios, not digits. Linux only (``/proc``, ``fork``).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping

import greenlet as _greenlet_module

__all__ = [
    "KINDS",
    "CHANNELS",
    "create_cost",
    "switch_cost",
    "memory_cost",
    "message_cost",
    "cpu_scaling",
    "measure_all",
    "format_table",
    "plot_costs",
    "plot_speedup",
    "main",
]

#: The units compared, from heaviest to lightest.
KINDS = ("process", "fork", "thread", "greenlet", "Greenlet", "generator")

#: The ways of moving a message measured by ``message_cost``: name -> what moves it.
CHANNELS = {
    "pipe": "os.pipe between two processes (through the kernel)",
    "shared_memory": "multiprocessing.shared_memory between two processes",
    "queue.Queue": "queue.Queue between two threads",
    "coopconc.Queue": "a coopconc queue between two greenlets",
    "generator": "generator.send within one thread",
}

# How many units each experiment uses: kind -> (full run, quick run).
CREATE_N = {
    "process": (30, 4),
    "fork": (60, 8),
    "thread": (500, 40),
    "greenlet": (20_000, 500),
    "Greenlet": (20_000, 500),
    "generator": (100_000, 2000),
}
SWITCH_N = {
    "process": (3000, 150),
    "fork": (3000, 150),
    "thread": (3000, 150),
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
MESSAGE_N = (30_000, 1000)
CPU_WORK = (8_000_000, 2_000_000)  # loop iterations, shared out between the workers

#: How many times each timing is repeated (full run, quick run); the shortest run is kept.
#: Quick runs are short, so more of them: one is likely to escape a burst of load elsewhere.
REPEAT = (5, 9)
#: Creating a process takes milliseconds: fewer repeats are enough (and keep runs short).
REPEAT_PROCESS_CREATE = 3

_FORK = multiprocessing.get_context("fork")


# ---------------------------------------------------------------------------------------------
# Checking arguments


def _kinds(
    kinds: Iterable[str] | None,
    allowed: Iterable[str],
    caller: str,
    param: str = "kinds",
    what: str = "kind",
) -> list[str]:
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


def _count(value: int, what: str, caller: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{caller}({what}={value!r}): {what} must be a whole number")
    if value <= 0:
        raise ValueError(f"{caller}({what}={value}): {what} must be >= 1")
    return value


def _n_for(kind, n, table, quick, caller) -> int:
    if n is None:
        return table[kind][1 if quick else 0]
    if isinstance(n, Mapping):
        if kind not in n:
            return table[kind][1 if quick else 0]
        return _count(n[kind], "n", caller)
    return _count(n, "n", caller)


def _repeat(repeat: int | None, quick: bool, caller: str) -> int:
    if repeat is None:
        return REPEAT[1 if quick else 0]
    return _count(repeat, "repeat", caller)


def _best(repeat: int, run: Callable[..., float], *args) -> float:
    """The shortest of ``repeat`` timings of ``run(*args)``: the run least disturbed by the
    rest of the machine."""
    return min(run(*args) for _ in range(repeat))


def _row(measure, kind, n, seconds, per_unit, unit="s", **extra) -> dict:
    return {
        "measure": measure,
        "kind": kind,
        "n": n,
        "seconds": seconds,
        "per_unit": per_unit,
        "unit": unit,
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Creating and finishing one unit


def _nothing():
    return None


def _empty_generator():
    return
    yield  # makes this function a generator


def _create_process(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        p = _FORK.Process(target=_nothing)
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
    make = _greenlet_module.greenlet
    t0 = time.perf_counter()
    for _ in range(n):
        make(_nothing).switch()  # runs it to its end, then we are back here
    return time.perf_counter() - t0


def _create_coopconc_greenlet(n: int) -> float:
    from coopconc.greenlet import joinall, spawn

    t0 = time.perf_counter()
    joinall([spawn(_nothing) for _ in range(n)])
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
    quick: bool = False,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds to create one unit, run an empty function in it, and wait for it to finish.

    One row per kind: ``{"measure": "create", "kind", "n", "seconds", "per_unit", "unit"}``.
    """
    kinds = _kinds(kinds, KINDS, "create_cost")
    default_repeat = repeat is None
    repeat = _repeat(repeat, quick, "create_cost")
    rows = []
    for kind in kinds:
        count = _n_for(kind, n, CREATE_N, quick, "create_cost")
        times = repeat
        if default_repeat and kind in ("process", "fork"):
            times = min(repeat, REPEAT_PROCESS_CREATE)
        best = _best(times, _CREATE[kind], count)
        rows.append(_row("create", kind, count, best, best / count))
    return rows


# ---------------------------------------------------------------------------------------------
# One switch: a round trip A -> B -> A


def _echo_connection(conn) -> None:
    """A multiprocessing child that sends back every message until it gets an empty one."""
    while True:
        data = conn.recv_bytes()
        if not data:
            return
        conn.send_bytes(data)


def _switch_process(n: int) -> float:
    here, there = _FORK.Pipe()
    child = _FORK.Process(target=_echo_connection, args=(there,))
    child.start()
    try:
        here.send_bytes(b"x")  # the first round trip wakes the child up: not timed
        here.recv_bytes()
        t0 = time.perf_counter()
        for _ in range(n):
            here.send_bytes(b"x")
            here.recv_bytes()
        return time.perf_counter() - t0
    finally:
        here.send_bytes(b"")
        child.join()
        here.close()
        there.close()


def _switch_fork(n: int) -> float:
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: echo one byte at a time until the pipe closes
        try:
            os.close(to_child_w)
            os.close(to_parent_r)
            while os.read(to_child_r, 1):
                os.write(to_parent_w, b"x")
        finally:
            os._exit(0)
    os.close(to_child_r)
    os.close(to_parent_w)
    try:
        os.write(to_child_w, b"x")  # warm-up round trip, not timed
        os.read(to_parent_r, 1)
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(to_child_w, b"x")
            os.read(to_parent_r, 1)
        return time.perf_counter() - t0
    finally:
        os.close(to_child_w)  # the child reads end-of-file and leaves
        os.waitpid(pid, 0)
        os.close(to_parent_r)


def _switch_thread(n: int) -> float:
    ping, pong = queue.SimpleQueue(), queue.SimpleQueue()

    def echo():
        while True:
            item = ping.get()
            pong.put(item)
            if item is None:
                return

    t = threading.Thread(target=echo, name="echo")
    t.start()
    ping.put(1)  # warm-up, not timed
    pong.get()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.put(1)
        pong.get()
    elapsed = time.perf_counter() - t0
    ping.put(None)
    t.join()
    return elapsed


def _switch_greenlet(n: int) -> float:
    make = _greenlet_module.greenlet
    main = _greenlet_module.getcurrent()

    def echo():
        while main.switch():  # back to main; main's next switch() resumes us here
            pass

    partner = make(echo)
    partner.switch()  # start it: it switches straight back to us
    t0 = time.perf_counter()
    for _ in range(n):
        partner.switch(True)
    elapsed = time.perf_counter() - t0
    partner.switch(False)  # let it finish
    return elapsed


def _switch_coopconc_greenlet(n: int) -> float:
    from coopconc.greenlet import joinall, spawn
    from coopconc.hub import sleep

    def worker():
        for _ in range(n):
            sleep(0)

    # Two workers taking turns: each sleep(0) of one lets the other run once, so n sleeps in
    # each worker are n round trips (each passing through the hub twice).
    t0 = time.perf_counter()
    joinall([spawn(worker), spawn(worker)])
    return time.perf_counter() - t0


def _echo_generator():
    item = None
    while True:
        item = yield item


def _switch_generator(n: int) -> float:
    gen = _echo_generator()
    next(gen)
    send = gen.send
    t0 = time.perf_counter()
    for _ in range(n):
        send(1)
    return time.perf_counter() - t0


_SWITCH = {
    "process": _switch_process,
    "fork": _switch_fork,
    "thread": _switch_thread,
    "greenlet": _switch_greenlet,
    "Greenlet": _switch_coopconc_greenlet,
    "generator": _switch_generator,
}

SWITCH_HOW = {
    "process": "multiprocessing Pipe ping-pong (send_bytes/recv_bytes)",
    "fork": "os.pipe ping-pong, one byte each way",
    "thread": "two queue.SimpleQueue, one each way",
    "greenlet": "greenlet.switch there and back",
    "Greenlet": "two coopconc greenlets calling sleep(0) in turn",
    "generator": "generator.send and its yield",
}


def switch_cost(
    kinds: Iterable[str] | None = None,
    n: int | Mapping[str, int] | None = None,
    quick: bool = False,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds for one round trip between two units (A hands over to B, B hands back).

    One row per kind, with ``"how"`` saying what carries the hand-over.
    """
    kinds = _kinds(kinds, KINDS, "switch_cost")
    repeat = _repeat(repeat, quick, "switch_cost")
    rows = []
    for kind in kinds:
        count = _n_for(kind, n, SWITCH_N, quick, "switch_cost")
        best = _best(repeat, _SWITCH[kind], count)
        rows.append(_row("switch", kind, count, best, best / count, how=SWITCH_HOW[kind]))
    return rows


# ---------------------------------------------------------------------------------------------
# Memory per idle unit


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
                p = _FORK.Process(target=_idle_child, args=(ready_w, release_r))
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
        main = _greenlet_module.getcurrent()
        for i in range(n):
            g = keep[i] = _greenlet_module.greenlet(main.switch)
            g.switch()  # it starts, switches back at once, and stays suspended
    elif kind == "Greenlet":
        from coopconc.greenlet import spawn
        from coopconc.hub import Waiter, sleep

        def idle():
            Waiter().get("idle")

        for i in range(n):
            keep[i] = spawn(idle)
        sleep(0)  # every one of them starts, parks in its Waiter, and we come back
    else:
        for i in range(n):
            g = keep[i] = _idle_generator()
            next(g)
    snapshot()


def _memory_child(kind: str, n: int) -> dict:
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
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def memory_cost(
    kinds: Iterable[str] | None = None,
    n: int | Mapping[str, int] | None = None,
    quick: bool = False,
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
    kinds = _kinds(kinds, KINDS, "memory_cost")
    rows = []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_package_root(), env.get("PYTHONPATH")]))
    for kind in kinds:
        count = _n_for(kind, n, MEMORY_N, quick, "memory_cost")
        code = (
            "import json, coopconc.measure as m; "
            f"print(json.dumps(m._memory_child({kind!r}, {count})))"
        )
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(
                f"memory_cost: the child measuring {count} {kind} units failed:\n{done.stderr}"
            )
        found = json.loads(done.stdout.strip().splitlines()[-1])
        rss = max(found["rss"], 0)
        pss = found["pss"]
        headline = max(pss, 0) if (pss is not None and kind in ("process", "fork")) else rss
        rows.append(
            _row(
                "memory",
                kind,
                count,
                elapsed,
                headline / count,
                "bytes",
                rss_per_unit=rss / count,
                vm_per_unit=max(found["vm"], 0) / count,
                counted=(
                    "parent growth + children, PSS (shared pages split)"
                    if kind in ("process", "fork") and pss is not None
                    else "resident memory growth (VmRSS)"
                ),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Moving a message from a producer to a consumer


def _read_exact(fd: int, size: int) -> bytes:
    data = os.read(fd, size)
    while len(data) < size:  # a pipe read may return less than asked for
        more = os.read(fd, size - len(data))
        if not more:
            raise EOFError("the pipe closed in the middle of a message")
        data += more
    return data


def _message_pipe(n: int, message: bytes) -> float:
    data_r, data_w = os.pipe()
    ack_r, ack_w = os.pipe()
    size = len(message)
    pid = os.fork()
    if pid == 0:  # the consumer: read n messages, then say so
        try:
            os.close(data_w)
            for _ in range(n):
                _read_exact(data_r, size)
            os.write(ack_w, b"k")
        finally:
            os._exit(0)
    os.close(data_r)
    os.close(ack_w)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(data_w, message)
        os.read(ack_r, 1)
        return time.perf_counter() - t0
    finally:
        os.close(data_w)
        os.close(ack_r)
        os.waitpid(pid, 0)


def _message_shared_memory(n: int, message: bytes) -> float:
    from multiprocessing import shared_memory

    size = len(message)
    block = shared_memory.SharedMemory(create=True, size=n * size)
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the producer: on "go", write n messages into the block, then say "done"
        try:
            buf = block.buf
            os.read(go_r, 1)
            for i in range(n):
                buf[i * size : (i + 1) * size] = message
            os.write(done_w, b"d")
        finally:
            os._exit(0)
    try:
        buf = block.buf
        t0 = time.perf_counter()
        os.write(go_w, b"g")
        os.read(done_r, 1)  # one notification for the whole batch: no kernel per message
        for i in range(n):
            bytes(buf[i * size : (i + 1) * size])  # the consumer copies each message out
        elapsed = time.perf_counter() - t0
        del buf
        return elapsed
    finally:
        os.waitpid(pid, 0)
        for fd in (go_r, go_w, done_r, done_w):
            os.close(fd)
        block.close()
        block.unlink()


def _message_thread_queue(n: int, message: bytes) -> float:
    q = queue.Queue()
    finished = threading.Event()

    def consumer():
        get = q.get
        for _ in range(n):
            get()
        finished.set()

    t = threading.Thread(target=consumer, name="consumer")
    t.start()
    t0 = time.perf_counter()
    put = q.put
    for _ in range(n):
        put(message)
    finished.wait()
    elapsed = time.perf_counter() - t0
    t.join()
    return elapsed


class _HandOff:
    """A minimal greenlet channel (a list and a Waiter), used until coopconc.queue exists."""

    def __init__(self):
        from coopconc.hub import get_hub

        self.hub = get_hub()
        self.items = []
        self.getter = None

    def put(self, item) -> None:
        self.items.append(item)
        if self.getter is not None:
            waiter, self.getter = self.getter, None
            self.hub.run_callback(waiter.switch, None)

    def get(self):
        from coopconc.hub import Waiter

        while not self.items:
            self.getter = Waiter(self.hub)
            self.getter.get("HandOff.get", self)
        return self.items.pop(0)


def _greenlet_queue_class():
    try:
        from coopconc.queue import Queue
    except ImportError:
        return _HandOff, "list + coopconc.hub.Waiter"
    return Queue, "coopconc.queue.Queue"


def _message_greenlet_queue(n: int, message: bytes) -> float:
    from coopconc.greenlet import joinall, spawn

    make_queue, _ = _greenlet_queue_class()
    q = make_queue()

    def producer():
        put = q.put
        for _ in range(n):
            put(message)

    def consumer():
        get = q.get
        for _ in range(n):
            get()

    t0 = time.perf_counter()
    joinall([spawn(consumer), spawn(producer)])
    return time.perf_counter() - t0


def _consumer_generator():
    while True:
        yield


def _message_generator(n: int, message: bytes) -> float:
    gen = _consumer_generator()
    next(gen)
    send = gen.send
    t0 = time.perf_counter()
    for _ in range(n):
        send(message)
    return time.perf_counter() - t0


_MESSAGE = {
    "pipe": _message_pipe,
    "shared_memory": _message_shared_memory,
    "queue.Queue": _message_thread_queue,
    "coopconc.Queue": _message_greenlet_queue,
    "generator": _message_generator,
}


def message_cost(
    channels: Iterable[str] | None = None,
    n: int | None = None,
    size: int = 256,
    quick: bool = False,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds to move one ``size``-byte message from a producer to its consumer.

    Between processes the bytes are copied (through the kernel for a pipe; into and out of a
    shared block for shared memory, with one notification per batch -- real code also needs
    its own synchronisation). Within one process only a reference moves. One row per channel;
    the row's ``"kind"`` is the channel name and ``"how"`` says what it is.
    """
    channels = _kinds(channels, CHANNELS, "message_cost", "channels", "channel")
    size = _count(size, "size", "message_cost")
    repeat = _repeat(repeat, quick, "message_cost")
    count = MESSAGE_N[1 if quick else 0] if n is None else _count(n, "n", "message_cost")
    message = b"m" * size
    rows = []
    for channel in channels:
        best = _best(repeat, _MESSAGE[channel], count, message)
        how = CHANNELS[channel]
        if channel == "coopconc.Queue":
            how += f" ({_greenlet_queue_class()[1]})"
        rows.append(_row("message", channel, count, best, best / count, how=how, size=size))
    return rows


# ---------------------------------------------------------------------------------------------
# CPU-bound work over several threads or processes


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
    procs = [_FORK.Process(target=spin, args=(work // workers,)) for _ in range(workers)]
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
    quick: bool = False,
    repeat: int = 2,
) -> list[dict]:
    """The same pure-Python work split over ``workers`` threads or processes.

    One row per (kind, workers): ``seconds`` (wall clock, best of ``repeat``), ``speedup``
    (the 1-worker time of that kind divided by this time) and ``cores_used`` (CPU seconds
    divided by wall seconds: about 1 at most for threads, because of the GIL).
    """
    kinds = _kinds(kinds, ("thread", "process"), "cpu_scaling")
    workers = list(workers)
    if not workers:
        raise ValueError("cpu_scaling(workers=[]): give at least one number of workers")
    for w in workers:
        _count(w, "workers", "cpu_scaling")
    repeat = _count(repeat, "repeat", "cpu_scaling")
    work = CPU_WORK[1 if quick else 0] if work is None else _count(work, "work", "cpu_scaling")
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


# ---------------------------------------------------------------------------------------------
# Everything, and the table


MEASURES = {
    "create": create_cost,
    "switch": switch_cost,
    "memory": memory_cost,
    "message": message_cost,
    "cpu": cpu_scaling,
}


def measure_all(
    quick: bool = False,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, list[dict]]:
    """Run the chosen measures (all by default): ``{"create": rows, "switch": rows, ...}``.

    ``progress(done, total, label)`` is called before each step.
    """
    names = _kinds(only, MEASURES, "measure_all", "only", "measure")
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


def _human(value: float, unit: str) -> str:
    if unit == "bytes":
        for scale, name in ((1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.1f} {name}"
    return f"{value * 1e9:.0f} ns"


_TITLES = {
    "create": "create + finish one unit",
    "switch": "one switch (round trip A -> B -> A)",
    "memory": "memory per idle unit",
    "message": "move one message producer -> consumer",
    "cpu": "CPU-bound work split over workers (the GIL)",
}


def format_table(rows: list[dict]) -> str:
    """The rows of one measure as an aligned text table."""
    if not rows:
        return "(no rows)"
    measure = rows[0]["measure"]
    lines = [f"== {_TITLES.get(measure, measure)} =="]
    if measure == "cpu":
        lines.append(f"{'kind':<10} {'workers':>7} {'seconds':>9} {'speed-up':>9} {'cores':>6}")
        for r in rows:
            lines.append(
                f"{r['kind']:<10} {r['workers']:>7} {r['seconds']:>9.3f} "
                f"{r['speedup']:>8.2f}x {r['cores_used']:>6.2f}"
            )
        return "\n".join(lines)
    extra = {"memory": "counted", "switch": "how", "message": "how"}.get(measure)
    lines.append(f"{'kind':<15} {'n':>8} {'per unit':>10}" + ("  " + extra if extra else ""))
    for r in rows:
        line = f"{r['kind']:<15} {r['n']:>8} {_human(r['per_unit'], r['unit']):>10}"
        if measure == "memory":
            line += f"  {r['counted']}"
            if r["kind"] in ("process", "fork"):
                line += f"; RSS added up: {_human(r['rss_per_unit'], 'bytes')}"
        elif extra:
            line += f"  {r[extra]}"
        lines.append(line)
    return "\n".join(lines)


def plot_costs(rows: list[dict], ax=None, title: str | None = None):
    """Draw one measure's rows as bars on a log scale, each labelled with its value.

    Returns the matplotlib Axes (a new figure is made when ``ax`` is None).
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("plot_costs(rows=[]): nothing to draw; pass the rows a measure returned")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 3))
    kinds = [r["kind"] for r in rows]
    values = [r["per_unit"] for r in rows]
    unit = rows[0]["unit"]
    bars = ax.bar(kinds, values, color="tab:blue")
    ax.set_yscale("log")
    for bar, value in zip(bars, values):
        ax.annotate(
            _human(value, unit),
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylabel("bytes per unit (log)" if unit == "bytes" else "seconds per unit (log)")
    ax.set_title(title or _TITLES.get(rows[0]["measure"], rows[0]["measure"]))
    ax.margins(y=0.2)
    return ax


def plot_speedup(rows: list[dict], ax=None):
    """Draw ``cpu_scaling`` rows: speed-up against the number of workers, one line per kind,
    with the ideal (one core per worker, up to this machine's CPUs) dashed."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("plot_speedup(rows=[]): nothing to draw; pass cpu_scaling()'s rows")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(5, 3.5))
    counts = sorted({r["workers"] for r in rows})
    cpus = os.cpu_count() or 1
    ax.plot(counts, [min(w, cpus) for w in counts], "k--", label=f"ideal ({cpus} CPUs)")
    for kind, marker, label in (("thread", "o", "threads"), ("process", "s", "processes")):
        mine = sorted((r["workers"], r["speedup"]) for r in rows if r["kind"] == kind)
        if mine:
            ax.plot(*zip(*mine), marker=marker, label=label)
    ax.set_xticks(counts)
    ax.set_xlabel("workers sharing the same work")
    ax.set_ylabel("speed-up over 1 worker")
    ax.set_title("Pure-Python CPU work: threads vs processes")
    ax.set_ylim(bottom=0)
    ax.legend()
    return ax


def main(argv: list[str] | None = None) -> int:
    """``python -m coopconc.measure [--quick] [--only create,switch,...]``"""
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


if __name__ == "__main__":
    sys.exit(main())
