"""Waiting for file descriptors: ``hub.wait_fd``, the one way a greenlet waits for I/O.

What it is
    ``wait_fd(fd, READ)`` parks the current greenlet until the kernel says ``fd`` is readable
    (WRITE: writable; READ | WRITE: whichever comes first) or until ``timeout`` runs out.
    Sockets, pipes, ``select``, ``subprocess`` and the servers all wait through it.

How it is built
    The hub keeps, per fd, one Waiter slot for reading and one for writing (``_io``), and tells
    the poller (``coopconc/hub/poller.py``) only when the set of events it must watch changes
    (``_registered`` remembers what the kernel watches). When the poller reports an fd ready,
    ``_dispatch_io`` wakes the waiter in the matching slot.

    ``keep=True`` leaves the fd registered until the end of the loop's turn, so that the usual
    "wait, read, wait again" of a socket costs no system call to register again. Only for fds
    whose closing always calls ``cancel_wait`` first (coopconc's sockets do): a closed fd whose
    number were reused in the same turn would otherwise be missed.

    Nothing is registered unless the wait really starts: every argument (the events, the
    timeout) is checked first, and a failure to register (a closed fd) undoes the slot.

Part of the hub (``coopconc/hub/``); taught in notebook 03 (event loops).
"""

from __future__ import annotations

import sys

from coopconc.exceptions import ConcurrentObjectUseError
from coopconc.hub.clocks import Timer, check_timeout
from coopconc.hub.poller import READ, WRITE
from coopconc.hub.waiter import Waiter

_SLOTS = {READ: (0,), WRITE: (1,), READ | WRITE: (0, 1)}  # events -> the watcher slots used
_REASONS = {READ: "wait_read", WRITE: "wait_write", READ | WRITE: "wait_readwrite"}
_TIMED_OUT = object()


class FdWaits:
    """The file-descriptor half of the Hub (a mixin: ``Hub`` is ``FdWaits`` plus the loop)."""

    def __init__(self):
        self._io: dict[int, list] = {}  # fd -> [read Waiter or None, write Waiter or None]
        self._registered: dict[int, int] = {}  # fd -> the mask the kernel watches it for
        self._kept: set[int] = set()  # fds left registered by wait_fd(keep=True) this turn

    def wait_fd(
        self, fd, events: int, timeout=None, timeout_exc=None, reason=None, keep: bool = False
    ):
        """Park the current greenlet until ``fd`` is readable (READ) or writable (WRITE).

        ``events`` may be READ, WRITE or READ | WRITE (whichever comes first); the event that
        happened is returned. After ``timeout`` seconds raise ``timeout_exc`` (default
        ``TimeoutError('timed out')``). Two greenlets may not wait for the same event on one
        fd at once. ``keep=True``: see the module's opening text.
        """
        if not isinstance(fd, int):
            fd = fd.fileno()
        slots = _SLOTS.get(events)
        if slots is None:
            raise ValueError(f"wait_fd(events={events!r}): give READ, WRITE or READ | WRITE")
        if reason is None:
            reason = _REASONS[events]
        timer = None
        if timeout is not None:
            timer = Timer(self, check_timeout(reason, timeout))
        watchers = self._io.get(fd)
        if watchers is None:
            watchers = self._io[fd] = [None, None]
        for slot in slots:
            if watchers[slot] is not None:
                raise ConcurrentObjectUseError(
                    f"fd {fd} is already waited on for {('reading', 'writing')[slot]} by "
                    f"{watchers[slot].greenlet!r}; only one greenlet may wait for each event"
                )
        waiter = Waiter(self)
        for slot in slots:
            watchers[slot] = waiter
        registered = False
        try:
            self._update_fd(fd, watchers)  # may fail: a closed fd (EBADF), a regular file
            registered = True
            if timer is not None:
                timer.start(waiter.switch, _TIMED_OUT)
            result = waiter.get(reason, fd)
        finally:
            if timer is not None:
                timer.stop()
            watchers = self._io.get(fd)
            if watchers is not None:
                for slot in slots:
                    if watchers[slot] is waiter:
                        watchers[slot] = None
                if not registered:
                    if watchers == [None, None]:
                        del self._io[fd]
                elif keep and watchers[0] is None and watchers[1] is None:
                    del self._io[fd]  # nobody waits; the kernel registration stays this turn
                    self._kept.add(fd)
                else:
                    self._update_fd(fd, watchers)
        if result is _TIMED_OUT:
            raise timeout_exc if timeout_exc is not None else TimeoutError("timed out")
        return result

    def _update_fd(self, fd: int, watchers: list) -> None:
        """Tell the kernel what ``fd`` is now waited for (a system call only if it changed)."""
        mask = (READ if watchers[0] is not None else 0) | (WRITE if watchers[1] is not None else 0)
        registered = self._registered.get(fd, 0)
        if mask == registered:
            return
        poller = self._poller or self._make_poller()
        if not mask:
            del self._io[fd]
            del self._registered[fd]
            poller.unregister(fd)
            return
        if registered:
            try:
                poller.modify(fd, mask)
            except OSError:  # the fd was closed and its number reused: start afresh
                poller.unregister(fd)
                poller.register(fd, mask)
        else:
            poller.register(fd, mask)
        self._registered[fd] = mask

    def _release_kept(self) -> None:
        """End of the turn: unregister the fds that wait_fd(keep=True) kept and nobody reused."""
        for fd in self._kept:
            if fd not in self._io and self._registered.pop(fd, None):
                self._poller.unregister(fd)
        self._kept.clear()

    def waiting_fds(self) -> list[int]:
        """The fds some greenlet is waiting on now, in ascending order.

        coopconc's addition, not gevent's: for teaching and debugging (notebook 03).
        """
        return sorted(self._io)

    def cancel_wait(self, fd: int, exc: BaseException) -> None:
        """Wake every greenlet waiting on ``fd`` with ``exc`` (called before closing it)."""
        watchers = self._io.pop(fd, None)
        if self._registered.pop(fd, None) and self._poller is not None:
            self._poller.unregister(fd)
        self._kept.discard(fd)
        if watchers is None:
            return
        for waiter in watchers:
            if waiter is not None:
                self.run_callback(waiter.throw, exc)

    def _dispatch_io(self, events) -> None:
        io = self._io
        for fd, mask in events:
            for slot, bit in ((0, READ), (1, WRITE)):
                watchers = io.get(fd)
                if watchers is not None and mask & bit and watchers[slot] is not None:
                    waiter = watchers[slot]
                    if waiter.greenlet is None:
                        continue  # already woken (by the other event, or a timeout)
                    try:
                        waiter.switch(bit)
                    except BaseException:
                        self.handle_error(waiter, *sys.exc_info())
