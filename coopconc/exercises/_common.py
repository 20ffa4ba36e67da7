"""Small helpers shared by the checkers of every notebook (coopconc's own)."""

from __future__ import annotations

import contextlib
import io
import threading
import time

import coopconc


def expect(condition: bool, message: str) -> None:
    """Fail the exercise with ``message`` (what was wrong; what to try) unless ``condition``."""
    if not condition:
        raise AssertionError(message)


@contextlib.contextmanager
def quiet_hub():
    """Keep crash reports of the answer's greenlets out of the cell's output."""
    hub = coopconc.get_hub()
    previous = hub.exception_stream
    hub.exception_stream = io.StringIO()
    try:
        yield
    finally:
        hub.exception_stream = previous


CALLER_THREAD = "coopconc-exercise-caller"


def call_in_thread(fn, args: tuple, seconds: float):
    """Call ``fn(*args)`` in a helper thread; fail if it has not returned within ``seconds``.

    For answers that may block the whole thread (a forgotten timeout): the cell never hangs.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name=CALLER_THREAD, daemon=True)
    thread.start()
    thread.join(seconds)
    expect(
        not thread.is_alive(),
        f"your answer did not return within {seconds} s; does it wait without a timeout?",
    )
    if "error" in box:
        raise box["error"]
    return box["value"]


def ticker(ticks: list):
    """Spawn a greenlet that appends ``time.perf_counter()`` to ``ticks`` every 10 ms.

    A checker runs it next to an answer that must not block the hub: no ticks while the
    answer ran means the answer blocked every greenlet.
    """

    def run():
        while True:
            ticks.append(time.perf_counter())
            coopconc.sleep(0.01)

    return coopconc.spawn(run)


def expect_one_order_for_both(name: str, rank, make_lock) -> None:
    """``rank(x, y)`` and ``rank(y, x)`` return the same two objects, in the same order."""
    for _ in range(5):
        x, y = make_lock(), make_lock()
        one, two = rank(x, y), rank(y, x)
        for got in (one, two):
            expect(
                isinstance(got, tuple) and len(got) == 2,
                f"{name} returned {got!r}; return a tuple of the two locks",
            )
            expect(
                {id(got[0]), id(got[1])} == {id(x), id(y)},
                f"{name} returned {got!r}, not the two locks it was given; return the very "
                "same objects (a new lock protects nothing)",
            )
        expect(
            one[0] is two[0],
            f"{name}(a, b) and {name}(b, a) put a different lock first; rank the two locks by "
            "something that does not depend on the argument order (id())",
        )
