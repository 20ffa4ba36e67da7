"""The websocket benchmark rows exist and run on both stacks (their speed is not tested here)."""

import json
import subprocess
import sys

from coopconc.bench import load_all

ROWS = ["websocket echo, 50 clients", "websocket fan-out to 1000 users"]


def test_rows_are_registered():
    registry = load_all()
    for name in ROWS:
        assert registry[name].libs == ("coopconc", "gevent")


def test_rows_run_on_coopconc_and_on_gevent_websocket():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coopconc.bench",
            *ROWS,
            "--scale",
            "0.01",
            "--repeat",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    rows = json.loads(out.stdout)
    assert [row["benchmark"] for row in rows] == ROWS
    for row in rows:
        assert row["coopconc"] > 0 and row["gevent"] > 0, row
