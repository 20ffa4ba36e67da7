"""The benchmark command: every registered row can be listed and run (speed is not tested)."""

import json
import subprocess
import sys

import pytest

from coopconc.bench import load_all
from coopconc.bench.__main__ import main


def test_every_issue_row_is_registered():
    names = set(load_all())
    for required in [
        "sleep(0) switch",
        "spawn + join",
        "timers: sleep(short)",
        "queue hand-off Queue(1)",
        "Event wakes 1000 waiters",
        "Pool(100).map 50k items",
        "TCP echo, 50 clients",
        "zmq REQ/REP round trip",
        "zmq PUSH/PULL messages",
    ]:
        assert required in names


def test_list_prints_each_row(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "sleep(0) switch" in out and "TCP echo, 50 clients" in out


def test_unknown_benchmark_is_refused_with_a_hint(capsys):
    with pytest.raises(SystemExit):
        main(["no such row"])
    assert "see --list" in capsys.readouterr().err


def test_table_row_compares_coopconc_with_gevent():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coopconc.bench",
            "spawn + join",
            "--scale",
            "0.01",
            "--repeat",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (row,) = json.loads(out.stdout)
    assert row["coopconc"] > 0 and row["gevent"] > 0 and row["greenlet"] > 0
    assert row["ratio"] == pytest.approx(row["coopconc"] / row["gevent"])
