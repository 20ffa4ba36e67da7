"""The one waiting path: a ``Waiter`` parks a greenlet in the hub and something wakes it.

What it is
    Everything in coopconc that blocks (join, Event.wait, Queue.get, Semaphore.acquire, a
    socket read) goes through a ``Waiter``: the waiting greenlet says *why* it waits
    (``waiter.get("Queue.get", queue)``) and switches to the hub; something else -- a hub
    callback, a link, a timer, a ready fd -- later calls ``waiter.switch(value)`` (or
    ``throw(exc)``) and the greenlet carries on with that value. While parked, the greenlet
    carries the waiter as ``greenlet._cc_waiter``: that marker is what the deadlock report,
    the tracer (``coopconc.trace``) and ``Greenlet`` reprs read, for every primitive at once.

    Two waits are so frequent that they take the same steps without a Waiter object: ``sleep``
    (``coopconc/hub/functions.py``) and ``joinall``'s iterator (``coopconc.greenlet``). They
    mark the greenlet with a ``_Parked`` reason and disarm their wake-up (a queued callback or
    a timer) if the wait ends another way -- the one other thing a Waiter does for its user.

Part of the hub (``coopconc/hub/``); taught in notebooks 02 (yield) and 04 (greenlets).
"""

from __future__ import annotations

from greenlet import getcurrent, greenlet

from coopconc.exceptions import BlockingSwitchOutError
from coopconc.hub.current import get_hub

_switch = greenlet.switch  # greenlet.switch(g, value): the plain C switch, no Python wrapper


class Waiter:
    """One wait of one greenlet: ``get(reason)`` parks it, ``switch(value)`` wakes it.

    ``switch`` may be called before ``get``: the value is kept and ``get`` returns it at once.
    ``throw`` wakes the waiter with an exception instead. Call both from the hub (a callback,
    a link, a timer). Nothing checks this: called from another greenlet, ``switch`` would jump
    into the waiter at once and leave the caller suspended with nobody to resume it.
    """

    __slots__ = ("hub", "greenlet", "value", "exc", "fired", "reason", "obj")

    def __init__(self, hub=None):
        self.hub = hub if hub is not None else get_hub()
        self.greenlet = None
        self.value = None
        self.exc = None
        self.fired = False
        self.reason = None
        self.obj = None

    def get(self, reason: str = "wait", obj=None):
        """Park the current greenlet until ``switch`` or ``throw``; return the value switched in."""
        if self.fired:
            return self._take()
        cur = getcurrent()
        hub = self.hub
        if cur is hub:
            raise BlockingSwitchOutError(
                f"{reason}: cannot wait inside the hub (a callback or link tried to block); "
                "spawn a greenlet to do the waiting instead"
            )
        self.greenlet = cur
        self.reason = reason
        self.obj = obj
        cur._cc_waiter = self
        try:
            return _switch(hub)
        finally:
            cur._cc_waiter = None
            self.greenlet = None

    def _take(self):
        if self.exc is not None:
            exc, self.exc = self.exc, None
            raise exc
        return self.value

    def switch(self, value=None) -> None:
        """Wake the waiting greenlet with ``value`` (or keep it for a later ``get``)."""
        g = self.greenlet
        if g is None:
            self.value = value
            self.fired = True
        else:
            g.switch(value)

    def throw(self, exc: BaseException) -> None:
        g = self.greenlet
        if g is None:
            self.exc = exc
            self.fired = True
        else:
            g.throw(exc)

    def clear(self) -> None:
        self.fired = False
        self.value = None
        self.exc = None

    def ready(self) -> bool:
        return self.fired

    def __repr__(self) -> str:
        if self.greenlet is not None:
            return f"<Waiter {self.reason} greenlet={self.greenlet!r}>"
        return f"<Waiter {'fired' if self.fired else 'idle'}>"


class _Parked:
    """What a greenlet parked without a Waiter (``sleep``) shows as its wait."""

    __slots__ = ("reason",)
    obj = None
    greenlet = None

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<parked in {self.reason}>"


def _nothing(*args) -> None:
    """A disarmed callback: what a wake-up that must no longer happen is replaced with."""
