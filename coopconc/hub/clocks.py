"""Clocks and timers: what time it is for the hub, and what it must do when.

What it is
    The hub is the only code in coopconc that reads the time, and it reads it from its
    ``clock``: ``RealClock`` (``time.monotonic``, the default) or ``VirtualClock``, whose time
    moves only when every greenlet is waiting for a timer -- then it jumps straight to the
    earliest one, so ``sleep(3)`` returns at once and ``coopconc.now()`` says 3.0 on every run
    (``coopconc.virtual_clock()``, in ``coopconc/hub/functions.py``).

Timers
    A ``Timer`` is one entry ``[deadline, seq, timer]`` in the hub's heap (``hub._timers``),
    earliest first; ``seq`` breaks ties in the order the timers were started. Stopping a timer
    only blanks its entry (the heap is not searched); the loop skips blank entries and
    compacts the heap when they are more than half of it. ``ref=False`` timers do not keep the
    loop alive on their own. ``priority`` orders timers due in the same turn: higher first
    (gevent's Timeout uses -1, so a ``sleep`` ending at the same moment as a timeout wins).

    A deadline may be ``inf`` (``sleep(float('inf'))``): the real clock then waits for ever
    (in slices, see ``coopconc/hub/poller.py``); the virtual clock never jumps to infinity --
    if only such timers are left, nothing can happen and the loop says so (``LoopExit``).

Part of the hub (``coopconc/hub/``); taught in notebooks 03 (event loops) and 05 (determinism).
"""

from __future__ import annotations

import time
from heapq import heappush as _heappush


class RealClock:
    """The ordinary monotonic clock: time passes while the hub waits in its poller."""

    virtual = False
    now = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return "<RealClock>"


class VirtualClock:
    """A clock that moves only when the hub has nothing to do but wait for a timer.

    ``io_wait`` is how many real seconds the hub waits for real I/O before it decides that only
    timers are left and jumps time forward (0: poll I/O without waiting).
    """

    virtual = True

    def __init__(self, start: float = 0.0, io_wait: float = 0.0):
        self.time = float(start)
        self.io_wait = io_wait

    def now(self) -> float:
        return self.time

    def advance_to(self, when: float) -> None:
        if self.time < when < float("inf"):
            self.time = when

    def __repr__(self) -> str:
        return f"<VirtualClock at {self.time:g}s>"


class Timer:
    """A one-shot timer: ``start(callback, *args)`` calls it in the hub after ``seconds``.

    Made by ``hub.timer(seconds, ref=True, priority=0)``. ``ref=False`` means the timer does not
    keep the loop alive on its own. ``priority`` orders timers that fall due in the same turn:
    higher runs first.
    """

    __slots__ = ("hub", "seconds", "ref", "priority", "callback", "args", "_entry")

    def __init__(self, hub, seconds: float, ref: bool = True, priority: int = 0):
        if seconds != seconds:  # NaN: it would wedge the heap (no deadline compares with it)
            raise ValueError(f"Timer(seconds=nan): give a number of seconds (for {hub!r})")
        self.hub = hub
        self.seconds = seconds
        self.ref = ref
        self.priority = priority
        self.callback = None
        self.args = ()
        self._entry = None  # [deadline, seq, self] while in the hub's heap

    @property
    def active(self) -> bool:
        return self._entry is not None

    pending = active

    @property
    def deadline(self) -> float | None:
        return self._entry[0] if self._entry is not None else None

    def start(self, callback, *args) -> None:
        if self._entry is not None:
            self.stop()
        self.callback = callback
        self.args = args
        hub = self.hub
        self._entry = entry = [hub.clock.now() + self.seconds, next(hub._seq), self]
        _heappush(hub._timers, entry)
        if self.ref:
            hub._timer_refs += 1

    def stop(self) -> None:
        entry = self._entry
        if entry is None:
            return  # never started, already stopped, or fired (the hub cleared it)
        entry[2] = None  # the heap entry stays, dead; the hub skips it
        self._entry = None
        self.callback = None
        self.args = ()
        hub = self.hub
        if self.ref:
            hub._timer_refs -= 1
        hub._dead_timers += 1
        if hub._dead_timers > 1024 and hub._dead_timers * 2 > len(hub._timers):
            hub._compact_timers()

    cancel = close = stop

    def __enter__(self) -> Timer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"due at {self._entry[0]:.6g}" if self._entry is not None else "inactive"
        return f"<Timer {self.seconds}s {state}>"


def check_timeout(call: str, seconds, name: str = "timeout"):
    """The one check of a timeout argument, used by every call of coopconc that accepts one.

    Returns ``seconds`` if it is None or a real number (``inf`` and huge values included: they
    mean "wait that long", and the hub copes). Raises TypeError for anything else and
    ValueError for NaN, naming the call and the argument (``Event.wait(timeout=nan)``).
    """
    if seconds is None:
        return None
    if type(seconds) is not float and type(seconds) is not int:
        if isinstance(seconds, (str, bytes, bytearray, bool)) or not hasattr(seconds, "__float__"):
            raise TypeError(
                f"{call}({name}={seconds!r}): {name} must be a number or None "
                f"(seconds; None waits for ever), not {type(seconds).__name__}"
            )
        seconds = float(seconds)  # an int or float subclass, Decimal, Fraction, numpy number
    if seconds != seconds:
        raise ValueError(
            f"{call}({name}=nan): {name} cannot be NaN; give a number of seconds "
            "(or float('inf') to wait for ever)"
        )
    return seconds
