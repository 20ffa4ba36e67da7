"""Signal handlers that run as greenlets: ``signal_handler(signal.SIGQUIT, shutdown)``.

What it is
    A Python signal handler may run at any bytecode, in whatever greenlet happens to be
    running -- a bad place to do real work. ``signal_handler`` installs a tiny handler that
    only asks the hub (``run_callback_threadsafe``, whose wake-up fd ends the hub's wait in
    epoll at once) to call your function, in a new Greenlet, on its next turn. Like gevent,
    an exception that escapes your handler is raised in the main greenlet (nobody else waits
    for a handler).

Taught in notebook 06 (program shutdown on SIGQUIT).
"""

from __future__ import annotations

import signal as _signal
import sys

from coopconc.greenlet import Greenlet
from coopconc.hub import get_hub

__all__ = ["signal_handler"]


class signal_handler:  # gevent's name
    """Call ``handler(*args, **kwargs)`` in a new greenlet whenever ``signalnum`` arrives.

    ``cancel()`` puts the previous handler back.
    """

    def __init__(self, signalnum: int, handler, *args, **kwargs):
        if not callable(handler):
            raise TypeError(f"signal_handler(handler={handler!r}): handler must be callable")
        self.hub = get_hub()
        self.signalnum = signalnum
        self.handler = handler
        self.args = args
        self.kwargs = kwargs
        self.hub.ensure_wakeup()  # now: the handler itself must not be the one to make it
        self._previous = _signal.signal(signalnum, self._on_signal)

    def _on_signal(self, signum, frame):
        # Runs in whatever greenlet Python chose: only ask the hub (and wake it) to start us.
        self.hub.run_callback_threadsafe(self._start)

    def _start(self):
        try:
            Greenlet(self._handle).switch()  # from the hub, at once (as gevent does)
        except BaseException:
            self.hub.handle_error(None, *sys.exc_info())

    def _handle(self):
        try:
            self.handler(*self.args, **self.kwargs)
        except BaseException:
            # No greenlet waits for a signal handler: its error goes to the main greenlet.
            self.hub.handle_error(None, *sys.exc_info())

    def cancel(self) -> None:
        """Restore the handler that was installed before this one."""
        if self._previous is not None:
            _signal.signal(self.signalnum, self._previous)
            self._previous = None

    def __repr__(self) -> str:
        return f"<signal_handler {_signal.Signals(self.signalnum).name} -> {self.handler!r}>"
