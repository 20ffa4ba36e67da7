"""coopconc.exercises: every checker accepts its worked solution and rejects the notebook's stub,
an empty answer and each plausible wrong answer kept next to the solution.

Discovered, not listed: the exercises are the answer cells of ``notebooks/src/NN_*.py`` (a cell
ending with ``check("NN.k", name)``), the solutions are ``notebooks/solutions/NN_*.py``
(``SOLUTIONS`` and ``WRONG``), the checkers are ``coopconc/exercises/nbNN.py`` (``CHECKS``).
A notebook added later (16, 17, 18) is covered as soon as its files exist.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import io
import pathlib
import re

import pytest
from greenlet import getcurrent, greenlet

from coopconc.exercises import check
from coopconc.hub import Hub

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "src"
SOLUTIONS_DIR = ROOT / "notebooks" / "solutions"
CHECK_LINE = re.compile(r'^check\("(\d\d\.\d+)", (\w+)\)\s*$', re.MULTILINE)


def _code_cells(source: str) -> list[str]:
    cells = re.split(r"(?m)^# %%.*$", source)[1:]
    headers = re.findall(r"(?m)^# %%.*$", source)
    return [cell for header, cell in zip(headers, cells) if "[markdown]" not in header]


def _answer_cells() -> dict:
    """exercise id -> (notebook source file, the answer cell's code)."""
    found = {}
    for path in sorted(SRC.glob("[0-9][0-9]_*.py")):
        for cell in _code_cells(path.read_text(encoding="utf-8")):
            for exercise_id, _name in CHECK_LINE.findall(cell):
                assert exercise_id not in found, f"{exercise_id} is checked in two cells"
                found[exercise_id] = (path, cell)
    return found


def _solution_modules() -> dict:
    modules = {}
    for path in sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[path.name[:2]] = module
    return modules


def _checker_ids() -> set:
    ids = set()
    for path in sorted((ROOT / "coopconc" / "exercises").glob("nb[0-9][0-9].py")):
        module = importlib.import_module(f"coopconc.exercises.{path.stem}")
        ids |= set(module.CHECKS)
    return ids


ANSWER_CELLS = _answer_cells()
SOLUTIONS = _solution_modules()
EXERCISES = sorted(ANSWER_CELLS)
WRONG_ANSWERS = [
    (exercise_id, wrong)
    for exercise_id in EXERCISES
    for wrong in getattr(SOLUTIONS.get(exercise_id[:2]), "WRONG", {}).get(exercise_id, [])
]


def _live_greenlets() -> set:
    return {
        g
        for g in gc.get_objects()
        if isinstance(g, greenlet) and g and not g.dead and not isinstance(g, Hub)
    }


@pytest.fixture(scope="module", autouse=True)
def _checks_leave_no_greenlet_alive():
    before = _live_greenlets()
    yield
    left = _live_greenlets() - before - {getcurrent()}
    assert not left, f"checks left greenlets alive (kill what the answer left): {left}"


def _run_check(exercise_id: str, answer) -> tuple[bool, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        verdict = check(exercise_id, answer)
    return verdict, out.getvalue()


def _stub(exercise_id: str):
    """The answer the notebook ships: its answer cell run without its last line."""
    path, cell = ANSWER_CELLS[exercise_id]
    name = dict(CHECK_LINE.findall(cell))[exercise_id]
    namespace: dict = {"__name__": "__stub__"}
    exec(compile(CHECK_LINE.sub("", cell), str(path), "exec"), namespace)
    return namespace[name]


def test_the_course_has_exercises_and_each_has_a_checker_and_a_solution():
    assert len(EXERCISES) >= 35
    assert set(EXERCISES) <= _checker_ids(), "an exercise cell names a checker that does not exist"
    for exercise_id in EXERCISES:
        module = SOLUTIONS.get(exercise_id[:2])
        assert module is not None, f"no notebooks/solutions/{exercise_id[:2]}_*.py"
        assert exercise_id in module.SOLUTIONS, f"no worked solution for {exercise_id}"
        assert module.WRONG.get(exercise_id), f"no plausible wrong answer for {exercise_id}"


def test_each_answer_cell_starts_with_the_coopconc_only_marker():
    for exercise_id, (path, cell) in ANSWER_CELLS.items():
        first = cell.strip("\n").splitlines()[0]
        assert first.startswith("# coopconc only:"), f"{path.name} {exercise_id}: {first!r}"


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_worked_solution_passes(exercise_id):
    answer = SOLUTIONS[exercise_id[:2]].SOLUTIONS[exercise_id]
    verdict, printed = _run_check(exercise_id, answer)
    assert verdict, printed
    assert printed.startswith(f"✓ {exercise_id}: ") and printed.count("\n") == 1


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_notebooks_stub_fails_as_not_answered(exercise_id):
    verdict, printed = _run_check(exercise_id, _stub(exercise_id))
    assert not verdict
    assert (
        printed
        == f"✗ {exercise_id}: not answered yet (the stub still raises NotImplementedError)\n"
    )


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_an_empty_answer_fails(exercise_id):
    def empty(*args, **kwargs):
        pass

    verdict, printed = _run_check(exercise_id, empty)
    assert not verdict
    assert printed.startswith(f"✗ {exercise_id}: ")


@pytest.mark.parametrize(
    ("exercise_id", "wrong"),
    WRONG_ANSWERS,
    ids=[f"{exercise_id}-{wrong.__name__}" for exercise_id, wrong in WRONG_ANSWERS],
)
def test_a_plausible_wrong_answer_fails(exercise_id, wrong):
    verdict, printed = _run_check(exercise_id, wrong)
    assert not verdict, f"{wrong.__name__} was accepted: {printed}"
    assert printed.startswith(f"✗ {exercise_id}: ")


def test_unknown_ids_are_refused_with_the_expected_form():
    with pytest.raises(ValueError, match="look like '09.1'"):
        check("nine", None)
    with pytest.raises(ValueError, match="no such exercise"):
        check("99.1", None)
