"""Parity: every program in ``scenarios/`` prints the same on coopconc as on real gevent.

A scenario is an ordinary gevent program (``import gevent``). It is run twice in child
processes, once on gevent and once on coopconc (through ``run_as.py``), and the two standard
outputs must be equal line for line. Scenarios print only what is deterministic under gevent
(order of events, values, states), never addresses or times.

Add a scenario by dropping a file in ``scenarios/`` named after the module it exercises
(``greenlet_*.py``, ``queue_*.py``, ``socket_*.py``...).
"""

import difflib
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.py"))


def run(lib: str, program: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(HERE / "run_as.py"), lib, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(program.parent),
    )


@pytest.mark.parametrize("program", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_same_output_as_gevent(program):
    expected = run("gevent", program)
    assert expected.returncode == 0, f"the scenario fails on gevent itself:\n{expected.stderr}"
    got = run("coopconc", program)
    diff = "\n".join(
        difflib.unified_diff(
            expected.stdout.splitlines(), got.stdout.splitlines(), "gevent", "coopconc", lineterm=""
        )
    )
    assert got.stdout == expected.stdout, f"output differs from gevent:\n{diff}\n{got.stderr}"
    assert got.returncode == 0, f"coopconc exited with {got.returncode}:\n{got.stderr}"
