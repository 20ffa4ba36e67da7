"""Tests of coopconc.measure: shapes of the rows, errors on bad input, the command line.

Behaviour only: no test looks at how fast anything was (timings depend on the machine).
"""

import math
import subprocess
import sys

import pytest

from coopconc import measure
from coopconc.measure import (
    CHANNELS,
    KINDS,
    cpu_scaling,
    create_cost,
    format_table,
    measure_all,
    memory_cost,
    message_cost,
    switch_cost,
)

# Small counts so each test takes a fraction of a second.
SMALL = {
    "process": 2,
    "fork": 3,
    "thread": 5,
    "greenlet": 50,
    "Greenlet": 50,
    "generator": 50,
}
ROW_KEYS = {"measure", "kind", "n", "seconds", "per_unit", "unit"}


def check_rows(rows, measure_name, kinds, unit="s"):
    assert [r["kind"] for r in rows] == list(kinds)
    for r in rows:
        assert ROW_KEYS <= set(r), r
        assert r["measure"] == measure_name
        assert r["unit"] == unit
        assert isinstance(r["n"], int) and r["n"] > 0
        assert r["seconds"] > 0
        assert r["per_unit"] > 0 and math.isfinite(r["per_unit"])


def test_create_cost_every_kind():
    rows = create_cost(n=SMALL, repeat=1)
    check_rows(rows, "create", KINDS)
    assert [r["n"] for r in rows] == [SMALL[k] for k in KINDS]
    for r in rows:
        assert r["per_unit"] == pytest.approx(r["seconds"] / r["n"])


def test_create_cost_one_kind_and_one_count():
    rows = create_cost("thread", n=3, repeat=2)
    check_rows(rows, "create", ["thread"])
    assert rows[0]["n"] == 3


def test_quick_counts_are_smaller_than_full_ones():
    for table in (measure.CREATE_N, measure.SWITCH_N, measure.MEMORY_N):
        assert set(table) == set(KINDS)
        for full, quick in table.values():
            assert 0 < quick <= full


def test_switch_cost_every_kind():
    rows = switch_cost(n=SMALL, repeat=1)
    check_rows(rows, "switch", KINDS)
    assert all(r["how"] for r in rows)


def test_switch_cost_leaves_no_children_or_threads():
    import os
    import threading

    before = threading.active_count()
    switch_cost(["process", "fork", "thread"], n=5, repeat=1)
    assert threading.active_count() == before
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child was reaped


def test_memory_cost_counts_children_and_in_process_units():
    kinds = ["fork", "thread", "generator"]
    rows = memory_cost(kinds, n={"fork": 2, "thread": 10, "generator": 2000})
    check_rows(rows, "memory", kinds, unit="bytes")
    for r in rows:
        assert r["rss_per_unit"] > 0
        assert r["vm_per_unit"] >= 0
        assert r["counted"]
    fork, thread, generator = rows
    assert "PSS" in fork["counted"]
    assert "VmRSS" in thread["counted"]
    # RSS added up over children counts the pages they share with the parent once per child.
    assert fork["rss_per_unit"] >= fork["per_unit"]


def test_memory_cost_of_greenlets():
    rows = memory_cost(["greenlet", "Greenlet"], n=500, quick=True)
    check_rows(rows, "memory", ["greenlet", "Greenlet"], unit="bytes")


def test_message_cost_every_channel():
    rows = message_cost(n=100, size=64, repeat=1)
    check_rows(rows, "message", CHANNELS)
    assert all(r["size"] == 64 for r in rows)
    assert all(r["how"].startswith(CHANNELS[r["kind"]]) for r in rows)


def test_message_cost_big_messages_between_processes():
    rows = message_cost(["pipe", "shared_memory"], n=4, size=1 << 20, repeat=1)
    check_rows(rows, "message", ["pipe", "shared_memory"])
    assert all(r["size"] == 1 << 20 for r in rows)


def test_course_size_is_quick_unless_full_is_asked(monkeypatch):
    monkeypatch.delenv("COOPCONC_FULL", raising=False)
    quick = create_cost(["generator"], repeat=1)[0]["n"]
    assert quick == measure.CREATE_N["generator"][1]
    monkeypatch.setenv("COOPCONC_FULL", "1")
    full = create_cost(["generator"], repeat=1)[0]["n"]
    assert full == measure.CREATE_N["generator"][0]
    assert create_cost(["generator"], quick=True, repeat=1)[0]["n"] == quick


def test_the_package_uses_no_private_name_of_the_hub_or_greenlet():
    import pathlib
    import re

    package = pathlib.Path(measure.__file__).parent
    for path in package.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"\b(hub|greenlet|coopconc\.\w+)\._[a-z]", text), path.name
        assert "_HandOff" not in text, path.name


def test_cpu_scaling_rows():
    rows = cpu_scaling(workers=(1, 2), work=20_000, repeat=1)
    assert [(r["kind"], r["workers"]) for r in rows] == [
        ("thread", 1),
        ("thread", 2),
        ("process", 1),
        ("process", 2),
    ]
    for r in rows:
        assert {"measure", "kind", "workers", "work", "seconds", "speedup", "cores_used"} <= set(r)
        assert r["measure"] == "cpu"
        assert r["seconds"] > 0 and r["speedup"] > 0 and r["cores_used"] >= 0
    assert rows[0]["speedup"] == 1.0 and rows[2]["speedup"] == 1.0


def test_cpu_scaling_without_one_worker_still_reports_speedup():
    rows = cpu_scaling(workers=[2], kinds=["thread"], work=10_000, repeat=1)
    assert len(rows) == 1 and rows[0]["workers"] == 2 and rows[0]["speedup"] > 0


def test_spin_adds_up():
    assert measure.spin(10) == 45


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: create_cost(n=0), "n=0"),
        (lambda: switch_cost(n=-3), "n=-3"),
        (lambda: memory_cost(n={"thread": 0}, kinds=["thread"]), "n=0"),
        (lambda: create_cost(kinds=["bogus"]), "unknown kind 'bogus'"),
        (lambda: switch_cost(kinds="coroutine"), "unknown kind 'coroutine'"),
        (lambda: create_cost(kinds=[]), "at least one"),
        (lambda: message_cost(["carrier pigeon"]), "unknown channel 'carrier pigeon'"),
        (lambda: message_cost(size=0), "size=0"),
        (lambda: cpu_scaling(workers=[1, 0]), "workers=0"),
        (lambda: cpu_scaling(workers=[]), "at least one"),
        (lambda: cpu_scaling(kinds=["greenlet"]), "choose from thread, process"),
        (lambda: create_cost(repeat=0), "repeat=0"),
        (lambda: measure_all(only=["speed"]), "unknown measure 'speed'"),
    ],
)
def test_bad_arguments_are_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()


def test_a_count_that_is_not_a_whole_number_is_refused():
    with pytest.raises(TypeError, match="whole number"):
        create_cost(kinds=["generator"], n=2.5)
    with pytest.raises(TypeError, match="whole number"):
        create_cost(kinds=["generator"], n=True)


def test_unknown_kind_error_names_the_choices():
    with pytest.raises(ValueError) as info:
        create_cost(kinds=["green"])
    for kind in KINDS:
        assert kind in str(info.value)


def test_measure_all_reports_progress():
    seen = []
    results = measure_all(
        quick=True, only=["switch"], progress=lambda done, total, label: seen.append(done)
    )
    assert list(results) == ["switch"]
    assert [r["kind"] for r in results["switch"]] == list(KINDS)
    assert seen == list(range(len(KINDS) + 1))


def test_format_table_shows_every_row():
    rows = switch_cost(["greenlet", "generator"], n=10, repeat=1)
    text = format_table(rows)
    assert text.splitlines()[0].startswith("== one switch")
    assert "greenlet" in text and "generator" in text
    cpu = format_table(cpu_scaling(workers=[1], kinds=["thread"], work=1000, repeat=1))
    assert "speed-up" in cpu
    assert format_table([]) == "(no rows)"


def test_format_table_human_units():
    assert measure.human(2.5e-3, "s") == "2.5 ms"
    assert measure.human(40e-9, "s") == "40 ns"
    assert measure.human(3 * 1024, "bytes") == "3.0 KiB"
    assert measure.human(100, "bytes") == "100 B"


def test_main_prints_a_table(capsys):
    assert measure.main(["--quick", "--only", "switch"]) == 0
    out, err = capsys.readouterr()
    assert "== one switch (round trip A -> B -> A) ==" in out
    for kind in KINDS:
        assert kind in out
    assert "switch: thread" in err  # the progress indication
    assert "done" in err


def test_main_json(capsys):
    import json

    assert measure.main(["--quick", "--only", "cpu", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["kind"] for r in data["cpu"]} == {"thread", "process"}


def test_main_refuses_an_unknown_measure(capsys):
    with pytest.raises(SystemExit) as info:
        measure.main(["--only", "speed"])
    assert info.value.code == 2
    assert "unknown measure 'speed'" in capsys.readouterr().err


def test_python_dash_m_runs():
    done = subprocess.run(
        [sys.executable, "-m", "coopconc.measure", "--quick", "--only", "switch"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "== one switch" in done.stdout
    assert "[ 0/" in done.stderr


def test_plots_draw_the_rows():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = create_cost(["greenlet", "generator"], n=10, repeat=1)
    ax = measure.plot_costs(rows)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["raw\ngreenlet", "generator"]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one thread (coroutines)"]
    ax = measure.plot_costs(switch_cost(["fork", "thread"], n=5, repeat=1))
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "os.fork\n+ pipe",
        "2 threads +\nSimpleQueue",
    ]
    assert len(ax.get_legend().get_texts()) == 2
    ax = measure.plot_speedup(cpu_scaling(workers=(1, 2), work=1000, repeat=1))
    assert [line.get_label() for line in ax.get_lines()][1:] == ["threads", "processes"]
    plt.close("all")
    with pytest.raises(ValueError, match="nothing to draw"):
        measure.plot_costs([])
