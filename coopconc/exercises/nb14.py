"""Checkers of notebook 14 (subprocess and multiprocessing)."""

from __future__ import annotations

import os
import tempfile
import time

import coopconc
from coopconc.exercises._common import expect, ticker
from coopconc.exercises._watch import Switches


def check_run_all(run_all) -> str:
    delays = [0.4, 0.1, 0.3, 0.2]
    commands = [["sh", "-c", f"sleep {d}; echo {i}"] for i, d in enumerate(delays)]
    ticks: list = []
    other = ticker(ticks)
    coopconc.sleep(0)
    try:
        started = time.perf_counter()
        got = run_all(commands)
        took = time.perf_counter() - started
    finally:
        other.kill()
    expected = [f"{i}\n".encode() for i in range(len(commands))]
    expect(got == expected, f"run_all returned {got!r}; expected {expected!r}, in command order")
    expect(
        took < sum(delays) - 0.2,
        f"run_all took {took:.2f} s; one after another they take {sum(delays):.1f} s: start "
        "every child before waiting for any",
    )
    expect(
        len(ticks) >= 10,
        f"another greenlet ticked only {len(ticks)} time(s) in {took:.2f} s; wait with "
        "coopconc.subprocess (communicate/wait), not the blocking standard library",
    )
    return "all children ran at the same time, outputs in command order"


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def check_output_or_none(output_or_none) -> str:
    ticks: list = []
    other = ticker(ticks)
    coopconc.sleep(0)
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        slow = ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 3"]
        try:
            with Switches() as seen:
                fast = output_or_none(["echo", "quick"], 5)
                started = time.perf_counter()
                slow_result = output_or_none(slow, 0.3)
                took = time.perf_counter() - started
        finally:
            other.kill()
            coopconc.killall(seen.alive_workers())  # e.g. a reader left on an abandoned pipe
        expect(fast == b"quick\n", f"a fast child's output should be b'quick\\n'; got {fast!r}")
        expect(
            slow_result is None,
            f"a child slower than the limit should give None; got {slow_result!r}",
        )
        expect(took < 2.0, f"the slow child was waited on for {took:.1f} s; give up after 0.3 s")
        with open(pidfile) as f:
            pid = int(f.read())
        state = _state(pid)
        if state not in ("gone", "Z"):
            os.kill(pid, 9)  # clean up after the answer
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        expect(
            state in ("gone", "Z"),
            "the slow child was still running after output_or_none returned; kill it "
            "(proc.kill(), then proc.wait())",
        )
    expect(
        len(ticks) >= 10,
        f"another greenlet ticked only {len(ticks)} time(s); wait cooperatively "
        "(coopconc.subprocess), not with the blocking standard library",
    )
    return "the output in time, else None with the child killed; others kept running"


CHECKS = {"14.1": check_run_all, "14.2": check_output_or_none}
