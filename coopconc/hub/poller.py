"""The poller: the hub's one way of asking the kernel "which file descriptors are ready?".

What it is
    A ``Poller`` is a thin wrapper round ``select.epoll`` (``selectors`` where there is no epoll):
    ``register``/``modify``/``unregister`` an fd with a mask of READ and WRITE, and ``poll``
    returns ``[(fd, mask), ...]``, waiting at most ``timeout`` seconds (None: until something
    happens). The hub waits *only* here -- for I/O, for its next timer, for everything -- so
    that one thing can always interrupt the wait: the poller's *wake-up*.

The wake-up
    Another OS thread (a thread-pool worker, a ``threading`` caller of ``Event.set``) or a
    signal handler cannot switch into the hub; it can only make one of the hub's fds readable.
    Each poller owns one such fd, registered from the start: an ``eventfd`` on Linux (one fd; a
    pipe, two fds, elsewhere). ``wake()`` makes it readable, ``poll`` drains it and leaves it out
    of the events it returns. ``Hub.run_callback_threadsafe`` is "queue the callback, then
    ``wake()``".

Huge timeouts
    epoll counts its timeout in milliseconds in a C int (at most about 24 days). ``poll`` waits
    at most ``MAX_WAIT`` seconds at a time; the hub's loop simply polls again, so
    ``sleep(1e10)`` or ``sleep(float('inf'))`` wait as long as asked without an OverflowError.

Part of the hub (``coopconc/hub/``); taught in notebook 03 (event loops).
"""

from __future__ import annotations

import contextlib
import os
import select as _select
import selectors

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE

#: The longest single wait in the kernel, in seconds; a longer timeout is several waits.
MAX_WAIT = 86400.0

_HAVE_EPOLL = hasattr(_select, "epoll")
if _HAVE_EPOLL:
    _EPOLL_MASKS = {
        READ: _select.EPOLLIN,
        WRITE: _select.EPOLLOUT,
        READ | WRITE: _select.EPOLLIN | _select.EPOLLOUT,
    }
    _EPOLL_READ = _select.EPOLLIN | _select.EPOLLERR | _select.EPOLLHUP
    _EPOLL_WRITE = _select.EPOLLOUT | _select.EPOLLERR | _select.EPOLLHUP


def _from_epoll(ev: int) -> int:
    """epoll's event bits as READ/WRITE: an error or hang-up wakes both kinds of waiter."""
    return (READ if ev & _EPOLL_READ else 0) | (WRITE if ev & _EPOLL_WRITE else 0)


class Poller:
    """epoll (or the best ``selectors`` class) plus the hub's wake-up fd."""

    def __init__(self):
        self._wake_r = self._wake_w = -1
        self._epoll = _select.epoll() if _HAVE_EPOLL else None
        self._selector = None if _HAVE_EPOLL else selectors.DefaultSelector()
        if hasattr(os, "eventfd"):
            self._wake_r = self._wake_w = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
        self.register(self._wake_r, READ)

    def register(self, fd: int, mask: int) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, _EPOLL_MASKS[mask])
        else:
            self._selector.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        if self._epoll is not None:
            self._epoll.modify(fd, _EPOLL_MASKS[mask])
        else:
            self._selector.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        try:
            if self._epoll is not None:
                self._epoll.unregister(fd)
            else:
                self._selector.unregister(fd)
        except (KeyError, ValueError, OSError):  # already closed: nothing to undo
            pass

    def poll(self, timeout: float | None) -> list:
        """The ready fds as ``[(fd, READ|WRITE), ...]``, waiting at most ``timeout`` seconds."""
        if timeout is not None and timeout > MAX_WAIT:
            timeout = MAX_WAIT
        wake = self._wake_r
        if self._epoll is not None:
            events = self._epoll.poll(-1 if timeout is None else timeout)
            if not events:
                return events
            return [(fd, _from_epoll(ev)) for fd, ev in events if fd != wake or self._drain()]
        ready = self._selector.select(timeout)
        return [(key.fd, mask) for key, mask in ready if key.fd != wake or self._drain()]

    def wake(self) -> None:
        """Make the next (or the current) ``poll`` return at once. Safe from any thread."""
        with contextlib.suppress(BlockingIOError):  # full already: the poll will return anyway
            if self._wake_w == self._wake_r:
                os.eventfd_write(self._wake_w, 1)
            else:
                os.write(self._wake_w, b"x")

    def _drain(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            if self._wake_w == self._wake_r:
                os.eventfd_read(self._wake_r)
            else:
                while os.read(self._wake_r, 4096):
                    pass
        return False  # (the wake-up is not an event for the hub)

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        else:
            self._selector.close()
        for fd in {self._wake_r, self._wake_w}:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def __del__(self) -> None:
        if self._wake_r >= 0:  # a hub that was never destroyed (its thread ended): free the fds
            self.close()

    def __repr__(self) -> str:
        kind = "epoll" if self._epoll is not None else type(self._selector).__name__
        return f"<Poller {kind}>"
