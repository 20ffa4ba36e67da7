"""Notebook 17's exercise checkers accept the worked solutions and reject the stub, an empty
answer and plausible wrong answers (notebooks/solutions/17_long_polling_websockets_chat.py)."""

import importlib.util
import pathlib

import pytest

from coopconc.exercises import check

PATH = (
    pathlib.Path(__file__).resolve().parent.parent
    / "notebooks"
    / "solutions"
    / "17_long_polling_websockets_chat.py"
)
spec = importlib.util.spec_from_file_location("solutions_17", PATH)
solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(solutions)


def stub(*args):
    raise NotImplementedError


def empty(*args):
    return None


RIGHT = list(solutions.SOLUTIONS.items())
WRONG = [(k, fn) for k, fns in solutions.WRONG.items() for fn in fns]


@pytest.mark.parametrize("exercise, answer", RIGHT, ids=[k for k, _ in RIGHT])
def test_solutions_pass(exercise, answer, capsys):
    assert check(exercise, answer), capsys.readouterr().out


@pytest.mark.parametrize("exercise, answer", WRONG, ids=[f"{k}-{f.__name__}" for k, f in WRONG])
def test_wrong_answers_fail(exercise, answer, capsys):
    assert not check(exercise, answer)
    assert capsys.readouterr().out.startswith(f"✗ {exercise}: ")


@pytest.mark.parametrize("exercise", sorted(solutions.SOLUTIONS))
@pytest.mark.parametrize("answer", [stub, empty], ids=["stub", "empty"])
def test_stub_and_empty_answers_fail(exercise, answer, capsys):
    assert not check(exercise, answer)
    assert capsys.readouterr().out.startswith(f"✗ {exercise}: ")
