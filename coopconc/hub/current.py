"""Which hub is this thread's: one hub per OS thread, made on first use.

``get_hub()`` returns the calling thread's hub, creating it the first time;
``get_hub_if_exists()`` (gevent's name) returns it or None, never creating one -- for code
that runs in any thread and must not leave a hub behind (closing a socket, a lock release).
The hub lives in the thread's local storage; when the thread ends, that storage is freed and
takes the hub's file descriptors with it (``_AtThreadEnd``).

Part of the hub (``coopconc/hub/``).
"""

from __future__ import annotations

from _thread import _local as _thread_local

_local = _thread_local()  # _local.hub: this thread's hub


def get_hub():
    """The hub of this OS thread, created on first use."""
    try:
        return _local.hub
    except AttributeError:
        from coopconc.hub.loop import Hub  # (here: the loop module imports this one)

        hub = _local.hub = Hub()
        _local.at_thread_end = _AtThreadEnd(hub)
        return hub


def get_hub_if_exists():
    """The hub of this OS thread if it has one already, else None (gevent's name)."""
    return getattr(_local, "hub", None)


def _set_hub(hub) -> None:
    _local.hub = hub


class _AtThreadEnd:
    """Kept next to the hub in the thread's local storage, and freed with it when the thread
    ends: it closes the hub's poller (its epoll and wake-up fds). Nothing else would -- the
    hub greenlet of a finished thread is never collected."""

    __slots__ = ("hub",)

    def __init__(self, hub):
        self.hub = hub

    def __del__(self):
        try:
            self.hub._close(wait=0.5)  # never hang a thread's (or the interpreter's) exit
        except Exception:  # never raise from __del__ (e.g. at interpreter shutdown)
            pass
