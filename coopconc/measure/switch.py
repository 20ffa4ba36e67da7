"""One switch: a round trip A -> B -> A between two units of the same kind.

What carries the hand-over differs, and that is the lesson: between processes and between
threads the kernel must wake the other side (a pipe, a futex under ``queue.SimpleQueue`` and
the GIL hand-off), so those rows time a wake-up through the kernel's scheduler plus Python's
queue and GIL code -- not a bare kernel context switch. Greenlets and generators switch in user
space, without a system call.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable, Mapping

import greenlet

from coopconc.measure.common import FORK, SWITCH_N, time_each_kind


def _echo_connection(conn) -> None:
    """A multiprocessing child that sends back every message until it gets an empty one."""
    while True:
        data = conn.recv_bytes()
        if not data:
            return
        conn.send_bytes(data)


def _switch_process(n: int) -> float:
    here, there = FORK.Pipe()
    child = FORK.Process(target=_echo_connection, args=(there,))
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
    main = greenlet.getcurrent()

    def echo():
        while main.switch():  # back to main; main's next switch() resumes us here
            pass

    partner = greenlet.greenlet(echo)
    partner.switch()  # start it: it switches straight back to us
    t0 = time.perf_counter()
    for _ in range(n):
        partner.switch(True)
    elapsed = time.perf_counter() - t0
    partner.switch(False)  # let it finish
    return elapsed


def _switch_coopconc_greenlet(n: int) -> float:
    import coopconc

    def worker():
        for _ in range(n):
            coopconc.sleep(0)

    # Two workers taking turns: each sleep(0) of one lets the other run once, so n sleeps in
    # each worker are n round trips (each passing through the hub twice).
    t0 = time.perf_counter()
    coopconc.joinall([coopconc.spawn(worker), coopconc.spawn(worker)])
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

#: What carries each kind's hand-over (shown in the table).
SWITCH_HOW = {
    "process": "multiprocessing Pipe ping-pong (send_bytes/recv_bytes)",
    "fork": "os.pipe ping-pong, one byte each way",
    "thread": "two queue.SimpleQueue, one each way (futex wake-up + GIL hand-off)",
    "greenlet": "greenlet.switch there and back",
    "Greenlet": "two coopconc greenlets calling sleep(0) in turn",
    "generator": "generator.send and its yield",
}


def switch_cost(
    kinds: Iterable[str] | None = None,
    n: int | Mapping[str, int] | None = None,
    quick: bool | None = None,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds for one round trip between two units (A hands over to B, B hands back).

    One row per kind, with ``"how"`` saying what carries the hand-over.
    """
    return time_each_kind(
        "switch", _SWITCH, SWITCH_N, kinds, n, quick, repeat, "switch_cost", how=SWITCH_HOW
    )
