"""Checkers of notebook 06 (spawning and state)."""

from __future__ import annotations

import contextlib

import coopconc
from coopconc.exercises._common import expect, quiet_hub


class _Boom(Exception):
    pass


@contextlib.contextmanager
def _public_flags_only():
    """While describe() runs, Greenlet.state() and repr() refuse: only the flags count."""

    def refuse(self, *args):
        raise AssertionError("describe() used state() or repr(); use only the public flags")

    saved = {name: coopconc.Greenlet.__dict__[name] for name in ("state", "__repr__")
             if name in coopconc.Greenlet.__dict__}  # fmt: skip
    for name in saved:
        setattr(coopconc.Greenlet, name, refuse)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(coopconc.Greenlet, name, value)


def _raise(exc_type):
    raise exc_type()


def check_describe(describe) -> str:
    with quiet_hub(), coopconc.virtual_clock():
        fresh = coopconc.Greenlet(coopconc.sleep, 1)
        sleeping = coopconc.spawn(coopconc.sleep, 10)
        returned = coopconc.spawn(lambda: 42)
        returned_text = coopconc.spawn(lambda: "done")
        returned_none = coopconc.spawn(lambda: None)
        raised = coopconc.spawn(lambda: {}["missing"])
        raised_own = coopconc.spawn(_raise, _Boom)
        killed = coopconc.spawn(coopconc.sleep, 10)
        coopconc.sleep(1)
        killed.kill()
        cases = [
            (fresh, "not started"),
            (sleeping, "running or waiting"),
            (returned, "returned 42"),
            (returned_text, "returned 'done'"),
            (returned_none, "returned None"),
            (raised, "raised KeyError"),
            (raised_own, "raised _Boom"),
            (killed, "killed"),
        ]
        try:
            for g, expected in cases:
                with _public_flags_only():
                    got = describe(g)
                expect(
                    got == expected,
                    f"describe() of a greenlet that should read {expected!r} gave {got!r}",
                )
        finally:
            sleeping.kill()
    return "all five states told apart from the public flags"


def check_race(race) -> str:
    finished: list = []

    def after(seconds, value, fails=False):
        def job():
            coopconc.sleep(seconds)
            if fails:
                raise _Boom(value)
            finished.append(value)
            return value

        return job

    cases = [  # (functions, winner, when the race should end)
        ([after(3, "slow"), after(1, "fast"), after(2, "middle")], "fast", 1.0),
        ([after(0.5, "only")], "only", 0.5),
        ([after(2, "b"), after(1.5, "a")], "a", 1.5),
        ([after(0.5, "broken", fails=True), after(1, "sound"), after(4, "late")], "sound", 1.0),
    ]
    for functions, winner, ends in cases:
        finished.clear()
        with quiet_hub(), coopconc.virtual_clock():
            start = coopconc.now()
            got = race(functions)
            took = coopconc.now() - start
            coopconc.sleep(5)  # the losers, if they were not killed, finish by now
        expect(got == winner, f"the race should be won by {winner!r}; your answer returned {got!r}")
        expect(
            abs(took - ends) < 1e-9,
            f"the race ended after {took:g} s; it should end when {winner!r} finishes, at {ends:g} s",
        )
        expect(
            finished == [winner],
            f"these finished after the race: {finished[1:]!r}; kill the losers",
        )
    return "the first successful greenlet wins; the losers are killed"


CHECKS = {"06.1": check_describe, "06.2": check_race}
