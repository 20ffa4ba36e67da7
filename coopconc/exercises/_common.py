"""Small helpers shared by the checkers of every notebook (coopconc's own)."""

from __future__ import annotations

import contextlib
import io
import threading

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
