"""Checkers of notebook 08 (monkey patching)."""

from __future__ import annotations

import os
import tempfile
import time
import types

import coopconc
from coopconc.exercises._common import expect, ticker


def check_late_copies(late_copies) -> str:
    original = [1, 2]  # a list: equal to others, identical to none of them
    lookalike = [1, 2]
    a = types.ModuleType("a")
    a.sleep, a.nap, a.other, a.twin = original, original, [3], lookalike
    b = types.ModuleType("b")
    b.inner = types.SimpleNamespace(deep=original)  # not an attribute of the module itself
    c = types.ModuleType("c")
    c.pause = original
    got = late_copies({"a": a, "b": b, "c": c}, original)
    expected = ["a.nap", "a.sleep", "c.pause"]
    expect(
        got == expected,
        f"late_copies returned {got!r}; expected {expected!r} (sorted; the very object, "
        "tested with `is`, not `==`)",
    )
    expect(late_copies({}, original) == [], "late_copies({}, x) should return []")
    return "every late copy found, by identity"


def check_cooperative_system(cooperative_system) -> str:
    ticks: list = []

    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "ran")
        cases = [  # (command, exit code, the command really ran if `marker` exists)
            (f"sleep 0.3; touch {marker}; exit 3", 3),
            ("exit 0", 0),
            ("sleep 0.2; exit 7", 7),
        ]
        for command, code in cases:
            ticks.clear()
            g = ticker(ticks)
            coopconc.sleep(0)
            try:
                started = time.perf_counter()
                got = cooperative_system(command)
                took = time.perf_counter() - started
            finally:
                g.kill()
            expect(
                got == code, f"cooperative_system({command!r}) returned {got!r}; expected {code}"
            )
            if "sleep" in command:
                during = [t for t in ticks if started < t < started + took]
                expect(
                    len(during) >= 5,
                    f"while {command!r} ran ({took:.2f} s), the other greenlet ticked only "
                    f"{len(during)} time(s); wait for the child cooperatively "
                    "(coopconc.subprocess, not os.system)",
                )
        expect(os.path.exists(marker), "the first command did not run (its file is missing)")
    return "exit codes passed through, and the other greenlet kept ticking"


CHECKS = {"08.1": check_late_copies, "08.2": check_cooperative_system}
