"""Exercise checkers for the course notebooks: ``check("09.1", answer)``.

What it is
    Every notebook ends with exercises. The student writes an answer in a cell and ends that
    cell with ``check("NN.k", answer)``. Because the checker lives here, in the installed
    package, the cell works on its own: pasted into a homework file it prints exactly what
    the notebook prints.

How it is built
    The checkers of notebook NN live in ``coopconc/exercises/nbNN.py`` in a dict
    ``CHECKS = {"NN.k": checker}``. A checker calls the student's answer, watches what it
    does (not only what it returns) and raises ``AssertionError`` with a message that says
    what was wrong and what to try; when the answer is right it returns a one-line message.
    ``check`` turns that into one printed line, ``✓`` or ``✗``, and returns a ``Verdict``:
    true or false like a bool, but Jupyter shows nothing for it, so the last line of a cell
    prints exactly what the same cell prints when run as a script.
    Worked solutions for teachers are kept apart, in ``notebooks/solutions/``.

This module is coopconc's own: gevent has no exercises.
"""

from __future__ import annotations

import importlib

__all__ = ["Verdict", "check"]


class Verdict:
    """What ``check`` returns: truthy when the answer passed; invisible as a cell's result."""

    __slots__ = ("passed",)

    def __init__(self, passed: bool):
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __eq__(self, other) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(self.passed)

    def __repr__(self) -> str:
        return f"Verdict({self.passed})"

    def _ipython_display_(self) -> None:
        """Jupyter would print ``Verdict(...)`` under the ✓/✗ line; a script prints nothing."""


def _checker(exercise_id: str):
    notebook, dot, number = exercise_id.partition(".")
    if not (dot and notebook.isdigit() and number.isdigit()):
        raise ValueError(
            f"check({exercise_id!r}): exercise ids look like '09.1' (notebook, dot, number)"
        )
    try:
        module = importlib.import_module(f"coopconc.exercises.nb{notebook}")
        return module.CHECKS[exercise_id]
    except (ModuleNotFoundError, KeyError):
        raise ValueError(
            f"check({exercise_id!r}): there is no such exercise; "
            "copy the id from the exercise's text (e.g. '09.1')"
        ) from None


def check(exercise_id: str, *answers) -> Verdict:
    """Run the checker of exercise ``exercise_id`` on ``answers``; print ✓ or ✗ and why."""
    checker = _checker(exercise_id)
    try:
        message = checker(*answers)
    except NotImplementedError:
        print(f"✗ {exercise_id}: not answered yet (the stub still raises NotImplementedError)")
        return Verdict(False)
    except AssertionError as exc:
        print(f"✗ {exercise_id}: {exc}")
        return Verdict(False)
    except Exception as exc:  # the student's code failed: say how, never crash the cell
        print(f"✗ {exercise_id}: your answer raised {type(exc).__name__}: {exc}")
        return Verdict(False)
    print(f"✓ {exercise_id}: {message}")
    return Verdict(True)
