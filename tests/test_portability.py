"""Every notebook cell that does not say ``# coopconc only: <what>`` on its first line prints the
same on real gevent.

The README promises that a program moves to gevent by changing its imports. This test does
that to every unmarked cell that uses coopconc (the word ``coopconc`` becomes ``gevent``), runs
the result alone in a fresh directory with this Python (gevent is a test dependency), and
compares what it prints with what the notebook stored, sanitized as nbval does. A cell marked
``# NBVAL_IGNORE_OUTPUT`` must only run; a cell tagged ``raises-exception`` must raise the same
exception. A cell that cannot pass says why in its first line, ``# coopconc only: ...``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import pathlib
import re

import pytest
from test_cells_alone import (
    NOTEBOOKS,
    TIMEOUT,
    WORKERS,
    _cells,
    _raises,
    _source,
    _stored_error,
    _stored_stdout,
    run_alone,
    sanitize,
)

gevent = pytest.importorskip("gevent")

MARKER = re.compile(r"#\s*coopconc only:\s*\S")


def coopconc_only(source: str) -> bool:
    lines = source.strip("\n").splitlines()
    return bool(lines) and bool(MARKER.match(lines[0]))


# Counterparts that live outside the gevent package (the README's table): the import moves there.
ELSEWHERE = {"coopconc.zmq": "zmq.green"}


def on_gevent(source: str) -> str:
    """The cell with its coopconc imports (and the names they bound) turned into gevent's."""
    for ours, theirs in ELSEWHERE.items():
        source = re.sub(rf"\b{re.escape(ours)}\b", theirs, source)
    return re.sub(r"\bcoopconc\b", "gevent", source)


def _portable_cells(path: pathlib.Path) -> list:
    return [
        index
        for index, cell in enumerate(_cells(path))
        if "coopconc" in _source(cell) and not coopconc_only(_source(cell))
    ]


@functools.cache
def _run_notebook_on_gevent(path: pathlib.Path) -> dict:
    indices = _portable_cells(path)
    sources = [on_gevent(_source(_cells(path)[i])) for i in indices]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(indices, pool.map(run_alone, sources)))


CASES = [(path, index) for path in NOTEBOOKS for index in _portable_cells(path)]


def test_marked_cells_say_what_is_coopconc_only():
    for path in NOTEBOOKS:
        for cell in _cells(path):
            source = _source(cell)
            if "coopconc only" in source.split("\n", 1)[0]:
                assert coopconc_only(source), f"{path.name}: {source.splitlines()[0]!r}"


@pytest.mark.parametrize(
    ("path", "index"), CASES, ids=[f"{p.stem[:2]}-cell{i:02d}" for p, i in CASES]
)
def test_unmarked_cell_prints_the_same_on_gevent(path, index):
    cell = _cells(path)[index]
    source = _source(cell)
    got = _run_notebook_on_gevent(path)[index]
    where = (
        f"{path.name}, code cell {index} on gevent (mark it `# coopconc only: <what>` if it "
        f"cannot be portable):\n{source[:300]}"
    )
    assert got["returncode"] is not None, f"{where}\n--- did not finish in {TIMEOUT} s"
    if _raises(cell):
        ename = _stored_error(cell)
        last = got["stderr"].strip().splitlines()[-1] if got["stderr"].strip() else ""
        assert got["returncode"] != 0 and re.match(rf"([\w.]+\.)?{re.escape(ename)}\b", last), (
            f"{where}\n--- should raise {ename}:\n{got['stderr'][-2000:]}"
        )
    else:
        assert got["returncode"] == 0, f"{where}\n--- failed:\n{got['stderr'][-3000:]}"
    if "NBVAL_IGNORE_OUTPUT" in source:
        return
    assert sanitize(got["stdout"]) == sanitize(_stored_stdout(cell)), (
        f"{where}\n--- printed something else on gevent"
    )
