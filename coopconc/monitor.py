"""A blocking detector: a watchdog thread that notices a greenlet hogging the hub's thread.

What it is
    Cooperative scheduling has one weakness: a greenlet that never waits never lets anybody
    else run. A real blocking call (``time.sleep`` that was not patched, a C library reading a
    socket) or a long CPU loop freezes *every* greenlet of the thread, and nothing complains.
    ``BlockingMonitor(threshold=0.1)`` complains: when the same greenlet has been running for
    longer than ``threshold`` seconds without a switch, it prints one report per stall -- which
    greenlet, for how long, and the file:line and function it is stuck in -- and keeps it in
    ``monitor.reports``::

        with coopconc.monitor.BlockingMonitor(0.1) as m:
            ...                      # the program under watch
        for r in m.reports:
            print(r.greenlet, r.function)

How it is built
    Two halves that share two numbers. In the hub's thread, a hook installed with
    ``greenlet.settrace`` runs on every switch and stores (switch count, greenlet now running).
    In a separate OS thread, a watchdog wakes a few times per threshold and reads them: if the
    count has not moved for ``threshold`` seconds, one greenlet has kept the thread to itself.
    ``sys._current_frames()`` then tells the watchdog where that thread is. The hub sitting in
    ``select`` waiting for I/O or a timer is not a stall (the thread is idle, not blocked), so
    a stall inside the hub's poller wait (``Hub.idle_code()``) is ignored. The hook passes every switch on to the hook that
    was there before (the tracer of ``coopconc.trace`` can run at the same time) and ``stop()``
    puts that hook back.

    It measures real seconds (a stall is real time lost), so together with the hub it is the
    only module that reads the real clock. Its thread is started with the original, unpatched
    ``_thread`` functions, so it stays a real thread after monkey patching.

coopconc's version of gevent's monitor thread (``GEVENT_MONITOR_THREAD_ENABLE``), made small
and made to keep its findings for tests and notebooks. Taught in notebook 19 (pitfalls).
"""

from __future__ import annotations

import _thread
import os
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

import greenlet as _greenlet

from coopconc.hub import Hub, get_hub

__all__ = ["BlockingMonitor", "BlockingReport", "start_monitor"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# The hub waiting in this function is idle (nothing to do until I/O or a timer), not blocked.
_IDLE_CODE = Hub.idle_code()
_POLL_FRAME = (_IDLE_CODE.co_filename, _IDLE_CODE.co_name)


@dataclass
class BlockingReport:
    """One stall: ``greenlet`` ran ``duration`` seconds without a switch, stuck at ``where``.

    ``duration`` is how long the stall had lasted when it was noticed; the watchdog keeps
    updating it until the greenlet switches (then ``ended`` is True).
    """

    greenlet: str
    duration: float
    filename: str
    lineno: int
    function: str
    stack: list[str] = field(default_factory=list)  # "file:line in function", innermost first
    ended: bool = False

    @property
    def where(self) -> str:
        return f"{self.filename}:{self.lineno} in {self.function}"

    def __str__(self) -> str:
        lines = [
            f"coopconc.monitor: {self.greenlet} has run for {self.duration:.2f}s without "
            "letting any other greenlet run",
            f"  at {self.where}",
        ]
        lines += [f"     called from {frame}" for frame in self.stack[1:4]]
        lines.append(
            "  (every other greenlet of this thread is frozen meanwhile: use a cooperative call,"
            " add sleep(0) to long loops, or move the work to a thread pool)"
        )
        return "\n".join(lines)


def _original(module: str, name: str):
    """``module.name`` as it was before any coopconc monkey patching."""
    monkey = sys.modules.get("coopconc.monkey")
    if monkey is not None and hasattr(monkey, "get_original"):
        try:
            return monkey.get_original(module, name)
        except Exception:  # fall back to the module itself
            pass
    return getattr(__import__(module), name)


def _describe(g) -> str:
    """How a report names greenlet ``g``."""
    if isinstance(g, Hub):
        return "the hub (in a callback)"
    if g.parent is None:
        return "the main greenlet"
    names = getattr(g, "__dict__", {})
    if names.get("_name"):
        return f'greenlet "{names["_name"]}"'
    if names.get("_ident"):  # (never give it a number from this thread: that would renumber)
        return f'greenlet "Greenlet-{names["_ident"]}"'
    return f"<{type(g).__name__} at 0x{id(g):x}>"


def _stack(frame) -> list:
    """The frames of a thread, innermost first, as (filename, lineno, function)."""
    out = []
    while frame is not None:
        out.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return out


class BlockingMonitor:
    """Watch this OS thread's greenlets; report any that runs ``threshold`` s without a switch.

    ``stream`` receives the printed reports (default: ``sys.stderr`` at the time of the
    report); ``monitor.reports`` keeps them as ``BlockingReport`` objects. Start and stop it
    in the thread it watches: ``start()``/``stop()`` or ``with BlockingMonitor(...) as m:``.
    """

    def __init__(self, threshold: float = 0.1, stream: TextIO | None = None):
        if not threshold > 0:
            raise ValueError(
                f"BlockingMonitor(threshold={threshold!r}): threshold must be a positive "
                "number of seconds"
            )
        self.threshold = threshold
        self.stream = stream
        self.reports: list[BlockingReport] = []
        self.interval = max(0.001, threshold / 5)  # how often the watchdog looks
        self._state = (0, None)  # (switch count, greenlet running), written by the hook only
        self._previous = None  # the greenlet trace hook we replaced
        self._active = False
        self._thread_id = None  # the watched thread
        self.watchdog_ident = None  # the watchdog thread, while it runs
        self._stop_lock = None
        self._done_lock = None

    # -- the hook, in the watched thread ----------------------------------------------------

    def _on_switch(self, event, args):
        if self._active:
            self._state = (self._state[0] + 1, args[1])
        previous = self._previous
        if previous is not None:
            previous(event, args)

    # -- starting and stopping --------------------------------------------------------------

    def start(self) -> BlockingMonitor:
        """Install the hook in this thread and start the watchdog thread."""
        if self._active:
            return self
        get_hub()  # the hub of this thread exists from now on
        self._thread_id = _thread.get_ident()
        self._state = (0, _greenlet.getcurrent())
        self._active = True
        self._previous = _greenlet.settrace(self._on_switch)
        allocate_lock = _original("_thread", "allocate_lock")
        self._stop_lock, self._done_lock = allocate_lock(), allocate_lock()
        self._stop_lock.acquire()
        self._done_lock.acquire()
        start_new_thread = _original("_thread", "start_new_thread")
        self.watchdog_ident = start_new_thread(self._watch, ())
        return self

    def stop(self) -> None:
        """Stop the watchdog thread (waits for it) and put back the previous trace hook."""
        if not self._active:
            return
        self._active = False
        if _thread.get_ident() == self._thread_id and _greenlet.gettrace() == self._on_switch:
            _greenlet.settrace(self._previous)
            self._previous = None
        # else: someone installed a hook on top of ours; ours stays in their chain and only
        # forwards from now on (it is inactive).
        self._stop_lock.release()
        self._done_lock.acquire()
        self._done_lock.release()
        self.watchdog_ident = None

    def __enter__(self) -> BlockingMonitor:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- the watchdog, in its own thread ----------------------------------------------------

    def _watch(self) -> None:
        clock = time.perf_counter
        last_count, since = -1, clock()
        report = None
        try:
            while not self._stop_lock.acquire(timeout=self.interval):
                count, current = self._state
                now = clock()
                if count != last_count:
                    if report is not None:
                        report.duration = now - since
                        report.ended = True
                        report = None
                    last_count, since = count, now
                    continue
                if report is not None:
                    report.duration = now - since
                elif now - since >= self.threshold and current is not None:
                    report = self._examine(current, now - since)
        finally:
            if report is not None:
                report.duration = clock() - since
            self._done_lock.release()

    def _examine(self, current, duration: float) -> BlockingReport | None:
        """Look at the watched thread; make and print a report unless it is only idle."""
        frame = sys._current_frames().get(self._thread_id)
        frames = _stack(frame)
        del frame
        if _POLL_FRAME in ((filename, code) for filename, _line, code in frames):
            return None  # the hub is waiting in its poller for I/O or a timer: idle
        if not frames:
            return None  # the watched thread has ended
        user = [f for f in frames if not f[0].startswith(_PACKAGE_DIR)] or frames
        filename, lineno, function = user[0]
        report = BlockingReport(
            greenlet=_describe(current),
            duration=duration,
            filename=filename,
            lineno=lineno,
            function=function,
            stack=[f"{f}:{n} in {c}" for f, n, c in user[:8]],
        )
        self.reports.append(report)
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            stream.write(str(report) + "\n")
            stream.flush()
        except Exception:  # a broken stream must not kill the watchdog
            pass
        return report

    def __repr__(self) -> str:
        state = "watching" if self._active else "stopped"
        return f"<BlockingMonitor {state} threshold={self.threshold}s reports={len(self.reports)}>"


def start_monitor(threshold: float = 0.1, stream: TextIO | None = None) -> BlockingMonitor:
    """Start a BlockingMonitor on this thread and return it (also usable with ``with``)."""
    return BlockingMonitor(threshold, stream).start()
