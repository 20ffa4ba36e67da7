"""Who ran when: a tracer of greenlet switches, and the timeline picture drawn from it.

What it is
    ``with Tracer() as t:`` records every switch from one greenlet to another while the block
    runs: at what time (the hub's clock, so virtual seconds under ``virtual_clock()``), who
    stopped, who started, and *why* the one that stopped did so -- the reason it gave to the
    hub's waiting path ("sleep", "Greenlet.join", "Queue.get", ...), or "finished".
    ``t.segments()`` turns that into bars (ran from .. to, waited from .. to on what),
    ``t.log()`` into text, ``t.timeline()`` into a matplotlib picture: one row per greenlet,
    dark bars where it ran, pale labelled bars where it waited.

How it is built
    On greenlet's own hook, ``greenlet.settrace``: greenlet calls it on every switch and throw,
    in this OS thread, with (origin, target). Because every coopconc wait leaves its reason on
    the waiting greenlet (``Waiter.get`` sets ``_cc_waiter``), the tracer knows why without
    any help from the primitives. The hub is traced too but hidden by default: a switch into
    the hub and out again to another greenlet is drawn as a hand-over from one to the other.

coopconc's addition (gevent has no tracer). Used by notebooks 00, 04, 09, 10, 11 and 12.
"""

from __future__ import annotations

from dataclasses import dataclass

import greenlet as _greenlet

from coopconc.hub import get_hub

__all__ = ["Tracer", "Segment", "trace", "timeline"]


@dataclass
class Segment:
    """One bar of the timeline: ``who`` ran (kind "run") or waited (kind "wait") from start to end.

    ``step_start``/``step_end`` count switches instead of seconds (useful under the virtual
    clock, where many switches happen at the same instant).
    """

    who: str
    kind: str
    start: float
    end: float
    step_start: int
    step_end: int
    reason: str = ""


def _label(g, hub) -> str:
    if g is hub:
        return "hub"
    if g.parent is None:
        return "main"
    name = g.__dict__.get("_name") if hasattr(g, "__dict__") else None
    if name:
        return name
    if hasattr(g, "minimal_ident"):
        return f"Greenlet-{g.minimal_ident}"
    return f"greenlet-{id(g) % 10000}"


class Tracer:
    """Record greenlet switches while active (``with Tracer() as t:`` or start()/stop())."""

    def __init__(self, include_hub: bool = False):
        self.include_hub = include_hub
        self.events: list[tuple] = []  # (time, event, origin label, target label, reason)
        self._previous = None
        self._hub = None
        self._labels: dict = {}
        self._started_at = 0.0
        self._stopped_at = None
        self._first = None
        self.virtual = False
        self._origin = 0.0

    def start(self) -> Tracer:
        self._hub = get_hub()
        self.virtual = getattr(self._hub.clock, "virtual", False)
        # Real-clock times are counted from the start of the trace (monotonic seconds mean
        # nothing to a reader); virtual times are kept as they are (they start at 0 anyway).
        self._origin = 0.0 if self.virtual else self._hub.clock.now()
        self._started_at = self._now()
        self._first = _label(_greenlet.getcurrent(), self._hub)
        self._previous = _greenlet.settrace(self._on_switch)
        return self

    def _now(self) -> float:
        return self._hub.clock.now() - self._origin

    def stop(self) -> None:
        _greenlet.settrace(self._previous)
        self._previous = None
        self._stopped_at = self._now()

    def __enter__(self) -> Tracer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _on_switch(self, event, args):
        origin, target = args
        hub = self._hub
        waiter = getattr(origin, "_cc_waiter", None)
        if waiter is not None:
            reason = waiter.reason
        elif origin.dead:
            reason = "finished"
        else:
            reason = ""
        self.events.append((self._now(), event, _label(origin, hub), _label(target, hub), reason))
        if self._previous is not None:
            self._previous(event, args)

    # -- reading the record ---------------------------------------------------------------------

    def _handovers(self):
        """The switches with the hub folded away.

        Yields (stop time, start time, step, from, to, reason of 'from'): 'from' left at the
        stop time (into the hub), the hub gave 'to' its turn at the start time.
        """
        out = []
        pending = None  # a greenlet that switched into the hub: (time, who, reason)
        for time_, _event, origin, target, reason in self.events:
            if self.include_hub:
                out.append((time_, time_, len(out) + 1, origin, target, reason))
                continue
            if origin != "hub" and target == "hub":
                pending = (time_, origin, reason)
                continue
            stopped = time_
            if origin == "hub":
                if pending is None:
                    continue
                stopped, origin, reason = pending
                pending = None
            out.append((stopped, time_, len(out) + 1, origin, target, reason))
        return out

    def log(self) -> list[str]:
        """The record as text, one line per change: who stopped and why, who ran next."""
        lines = []
        for stopped, started, _step, origin, target, reason in self._handovers():
            what = "finished" if reason == "finished" else f"waits on {reason or '?'}"
            lines.append(f"t={stopped:<8.3f} {origin} {what}")
            lines.append(f"t={started:<8.3f}   {target} runs")
        return lines

    def segments(self) -> list[Segment]:
        """The timeline as bars: when each greenlet ran, and when and why it waited."""
        segments: list[Segment] = []
        running, since, since_step = self._first, self._started_at, 0
        waiting: dict[str, tuple] = {}
        step = 0
        for stopped, started, step, origin, target, reason in self._handovers():
            if origin == running:
                segments.append(Segment(origin, "run", since, stopped, since_step, step))
            if reason and reason != "finished":
                waiting[origin] = (stopped, step, reason)
            if target in waiting:
                w_time, w_step, w_reason = waiting.pop(target)
                segments.append(Segment(target, "wait", w_time, started, w_step, step, w_reason))
            running, since, since_step = target, started, step
        end = self._stopped_at if self._stopped_at is not None else self._now()
        if running is not None:
            segments.append(Segment(running, "run", since, end, since_step, step + 1))
        for who, (w_time, w_step, w_reason) in waiting.items():
            segments.append(Segment(who, "wait", w_time, end, w_step, step + 1, w_reason))
        return segments

    def who(self) -> list[str]:
        """The greenlets seen, in the order they first appear."""
        names: list[str] = []
        for seg in self.segments():
            if seg.who not in names:
                names.append(seg.who)
        return names

    def timeline(self, ax=None, x: str = "time", title: str | None = None):
        """Draw the record (see ``timeline``); returns the matplotlib Axes."""
        return timeline(self, ax=ax, x=x, title=title)


def trace(include_hub: bool = False) -> Tracer:
    """``with coopconc.trace.trace() as t: ...`` -- a started Tracer, stopped at the end."""
    return Tracer(include_hub=include_hub)


def timeline(tracer: Tracer, ax=None, x: str = "time", title: str | None = None):
    """One row per greenlet: dark bars where it ran, pale bars where it waited (labelled why).

    ``x="time"`` puts the hub's clock on the horizontal axis; ``x="step"`` counts hand-overs
    instead, which spreads out switches that happen at the same (virtual) instant.
    """
    if x not in ("time", "step"):
        raise ValueError(f"timeline(x={x!r}): x must be 'time' or 'step'")
    import matplotlib.pyplot as plt  # noqa: PLC0415 -- only the course needs matplotlib

    segments = tracer.segments()
    names = tracer.who()
    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 1.2))
    rows = {name: i for i, name in enumerate(names)}
    if x == "time":
        span = max((s.end for s in segments), default=1.0) - min(
            (s.start for s in segments), default=0.0
        )
    else:
        span = max((s.step_end for s in segments), default=1)
    min_width = (span or 1.0) * 0.006
    runs: dict[int, list] = {}
    waits: dict[int, list] = {}
    for seg in segments:  # one broken_barh call per row and kind: fast for long traces
        start, end = (seg.start, seg.end) if x == "time" else (seg.step_start, seg.step_end)
        y = rows[seg.who]
        if seg.kind == "run":
            runs.setdefault(y, []).append((start, max(end - start, min_width)))
        else:
            waits.setdefault(y, []).append((start, end - start))
            if end - start > span * 0.08:
                ax.text((start + end) / 2, y, seg.reason, ha="center", va="center", fontsize=8)
    for y, ranges in waits.items():
        ax.broken_barh(ranges, (y - 0.175, 0.35), facecolors="#f4b183", alpha=0.8)
    for y, ranges in runs.items():
        ax.broken_barh(ranges, (y - 0.3, 0.6), facecolors="#1f4e79")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    clock = "virtual " if tracer.virtual else ""
    ax.set_xlabel(f"{clock}time (s)" if x == "time" else "hand-over number")
    if x == "step":
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 -- only the course needs it

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # hand-overs are counted
    ax.set_title(title or "who ran when (dark: running, pale: waiting)")
    from matplotlib.patches import Patch  # noqa: PLC0415 -- only the course needs matplotlib

    ax.legend(
        handles=[
            Patch(
                facecolor="#1f4e79", label="running\n(too short to see:\ndrawn at a minimum width)"
            ),
            Patch(
                facecolor="#f4b183", alpha=0.8, label="waiting\n(labelled with why,\nwhere it fits)"
            ),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
    )
    ax.figure.tight_layout()
    return ax
