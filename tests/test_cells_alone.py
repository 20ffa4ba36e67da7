"""Every code cell of every notebook, pasted alone into a file and run with this Python, prints
what the notebook stored.

What a student does with homework, done for every cell: the cell's source is written to
``cell.py`` in a fresh temporary directory and run with ``sys.executable`` (a timeout on each),
and its standard output is compared with the stdout the built notebook stored, both sanitized
with the rules nbval uses (``notebooks/sanitize.cfg``). Exceptions to the comparison, as in
nbval: a cell marked ``# NBVAL_IGNORE_OUTPUT`` must only run; a cell tagged
``raises-exception`` must raise the exception the notebook stored. The temporary directory
must be empty afterwards except for a saved figure (``*.png``), and so must the private
directory the cell gets as its TMPDIR (a cell's temporary files are its own to clean up).

Cells run two at a time (the machine this runs on has two cores); the notebooks are found,
not listed, so notebooks added later are covered.
"""

from __future__ import annotations

import concurrent.futures
import configparser
import functools
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TIMEOUT = 90  # seconds per cell; the slowest cell takes a few seconds on 2 loaded cores
WORKERS = 2


def _sanitizers() -> list:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "notebooks" / "sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


SANITIZERS = _sanitizers()


def sanitize(text: str) -> str:
    for regex, replace in SANITIZERS:
        text = regex.sub(replace, text)
    return text


def _cells(path: pathlib.Path) -> list:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def _source(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _stored_stdout(cell) -> str:
    return "".join(
        out["text"] if isinstance(out["text"], str) else "".join(out["text"])
        for out in cell.get("outputs", [])
        if out["output_type"] == "stream" and out["name"] == "stdout"
    )


def _stored_error(cell):
    for out in cell.get("outputs", []):
        if out["output_type"] == "error":
            return out["ename"]
    return None


def _raises(cell) -> bool:
    return "raises-exception" in cell.get("metadata", {}).get("tags", []) or (
        "NBVAL_RAISES_EXCEPTION" in _source(cell)
    )


def run_alone(source: str, timeout: float = TIMEOUT) -> dict:
    """Run ``source`` as a script in a fresh temporary directory; what it printed and left."""
    with tempfile.TemporaryDirectory(prefix="cell-alone-") as tmp:
        script = pathlib.Path(tmp) / "cell.py"
        script.write_text(source, encoding="utf-8")
        private_tmp = pathlib.Path(tmp) / "tmp"
        private_tmp.mkdir()
        env = dict(
            os.environ, MPLBACKEND="agg", PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(private_tmp)
        )
        env.pop("COOPCONC_FULL", None)
        try:
            done = subprocess.run(
                [sys.executable, script.name],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                start_new_session=True,
            )
            # Where the cell is: the notebook says <cell> (sanitize.cfg), a script its own path.
            stdout = done.stdout.replace(str(script), "<cell>")
            result = {"returncode": done.returncode, "stdout": stdout, "stderr": done.stderr}
        except subprocess.TimeoutExpired as exc:
            result = {"returncode": None, "stdout": exc.stdout or "", "stderr": "timeout"}
        result["left"] = sorted(
            p.name for p in pathlib.Path(tmp).iterdir() if p.name not in ("cell.py", "tmp")
        )
        result["left"] += sorted(f"$TMPDIR/{p.name}" for p in private_tmp.iterdir())
    return result


@functools.cache
def _run_notebook(path: pathlib.Path) -> tuple:
    """Run every code cell of one notebook alone, two at a time; results in cell order."""
    sources = [_source(cell) for cell in _cells(path)]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        return tuple(pool.map(run_alone, sources))


CASES = [(path, index) for path in NOTEBOOKS for index in range(len(_cells(path)))]


def test_every_notebook_is_found():
    assert len(NOTEBOOKS) >= 17


@pytest.mark.parametrize(
    ("path", "index"), CASES, ids=[f"{p.stem[:2]}-cell{i:02d}" for p, i in CASES]
)
def test_cell_prints_what_the_notebook_stored_when_run_alone(path, index):
    cell = _cells(path)[index]
    source = _source(cell)
    got = _run_notebook(path)[index]
    where = f"{path.name}, code cell {index}:\n{source[:300]}"
    assert got["returncode"] is not None, f"{where}\n--- did not finish in {TIMEOUT} s"
    if _raises(cell):
        ename = _stored_error(cell)
        assert got["returncode"] != 0, f"{where}\n--- should raise {ename} but exited cleanly"
        last = got["stderr"].strip().splitlines()[-1] if got["stderr"].strip() else ""
        assert re.match(rf"([\w.]+\.)?{re.escape(ename)}\b", last), (
            f"{where}\n--- should raise {ename}; the script ended with:\n{got['stderr'][-2000:]}"
        )
    else:
        assert got["returncode"] == 0, f"{where}\n--- failed:\n{got['stderr'][-3000:]}"
    extra = [name for name in got["left"] if not name.endswith(".png")]
    assert not extra, f"{where}\n--- left files behind: {extra}"
    if "NBVAL_IGNORE_OUTPUT" in source:
        return
    assert sanitize(got["stdout"]) == sanitize(_stored_stdout(cell)), (
        f"{where}\n--- printed something else than the notebook stored"
    )
