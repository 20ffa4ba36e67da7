"""What a checker sees of an answer: greenlet switches, thread lifetimes, lines run per turn.

A checker that only compares return values accepts an answer that computes the result without
the concept (``return greenlets * times``). These watchers record what the answer *did*:

- ``Switches``: every greenlet switch (``greenlet.settrace``), so a checker can ask which
  greenlets ran, how often they gave way, and which are still alive afterwards;
- ``ThreadSpans``: when each OS thread started by the answer began and ended
  (``threading.settrace``), so a checker can ask whether they ran at the same time;
- ``LinesPerTurn``: how many lines of the answer's own code ran in each turn of a greenlet
  (``sys.settrace``), so a checker can tell "worked, gave way, worked" from "worked, then
  gave way many times".

All three restore the previous hook on exit. coopconc's own; gevent has no exercises.
"""

from __future__ import annotations

import sys
import threading
import time

import greenlet as _greenlet

from coopconc.exercises._common import CALLER_THREAD
from coopconc.hub import Hub


class Switches:
    """Record greenlet switches while the ``with`` block runs."""

    def __enter__(self) -> Switches:
        self.main = _greenlet.getcurrent()
        self.events: list = []  # (origin, target)
        self._previous = _greenlet.settrace(self._on_switch)
        return self

    def _on_switch(self, event, args):
        if event in ("switch", "throw"):
            self.events.append(args)
        if self._previous is not None:
            self._previous(event, args)

    def __exit__(self, *exc) -> None:
        _greenlet.settrace(self._previous)

    def _is_worker(self, g) -> bool:
        return g is not self.main and not isinstance(g, Hub)

    @property
    def workers(self) -> list:
        """The greenlets (other than the caller and the hub) that ran, in order of first run."""
        seen: dict = {}
        for _origin, target in self.events:
            if self._is_worker(target):
                seen.setdefault(id(target), target)
        return list(seen.values())

    def turns_given_up(self) -> int:
        """How many times a worker greenlet switched away (to the hub or to another)."""
        return sum(1 for origin, _ in self.events if self._is_worker(origin))

    def hub_visits(self) -> int:
        """How many switches went to the hub (every sleep or wait goes through it)."""
        return sum(1 for _, target in self.events if isinstance(target, Hub))

    def alive_workers(self) -> list:
        """Worker greenlets that have not finished (neither returned, raised nor were killed)."""
        return [g for g in self.workers if not g.dead]


class ThreadSpans:
    """Record (native id, start, end) of every thread started while the block runs."""

    def __enter__(self) -> ThreadSpans:
        self.spans: dict = {}  # native thread id -> [native_id, start, end]
        self._previous = threading.gettrace()
        threading.settrace(self._on_first_call)
        return self

    def _on_first_call(self, frame, event, arg):
        native_id = threading.get_native_id()
        if native_id in self.spans or threading.current_thread().name == CALLER_THREAD:
            return None
        span = self.spans[native_id] = [native_id, time.perf_counter(), None]
        frame.f_trace_lines = False

        def on_return(frame, event, arg):
            if event == "return":
                span[2] = time.perf_counter()
            return on_return

        return on_return

    def __exit__(self, *exc) -> None:
        threading.settrace(self._previous)

    def native_ids(self) -> set:
        return {span[0] for span in self.spans.values()}

    def all_alive_together(self) -> bool:
        """Was there a moment when every recorded thread had started and none had ended?"""
        spans = list(self.spans.values())
        if not spans or any(end is None for _, _, end in spans):
            return False
        return max(start for _, start, _ in spans) < min(end for _, _, end in spans)


class LinesPerTurn:
    """Count lines of ``code_file`` run in each turn of the greenlet ``who``.

    A turn ends whenever ``who`` switches away. ``turns`` is the list of line counts.
    """

    def __init__(self, code_file: str):
        self.code_file = code_file
        self.turns: list = [0]
        self.who = None

    def __enter__(self) -> LinesPerTurn:
        self._previous_switch = _greenlet.settrace(self._on_switch)
        self._previous_trace = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def _on_switch(self, event, args):
        if event in ("switch", "throw") and args[0] is self.who and self.turns[-1]:
            self.turns.append(0)
        if self._previous_switch is not None:
            self._previous_switch(event, args)

    def _on_call(self, frame, event, arg):
        if frame.f_code.co_filename != self.code_file:
            return None
        return self._on_line

    def _on_line(self, frame, event, arg):
        if event == "line" and _greenlet.getcurrent() is self.who:
            self.turns[-1] += 1
        return self._on_line

    def __exit__(self, *exc) -> None:
        sys.settrace(self._previous_trace)
        _greenlet.settrace(self._previous_switch)
        if not self.turns[-1] and len(self.turns) > 1:
            self.turns.pop()
