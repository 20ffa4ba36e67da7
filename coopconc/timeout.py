"""Timeouts: an exception that a timer raises in a greenlet that took too long.

What it is
    ``Timeout(seconds)`` is both an exception and a timer. Started, it arms a timer in the hub;
    if the greenlet that started it is still inside the guarded block when the timer fires, the
    hub throws the Timeout (or the exception you gave) into that greenlet, wherever it is
    waiting. Cancelled in time -- at the end of a ``with`` block -- nothing happens. As in
    gevent, the end of a ``with`` block *closes* the Timeout (it cannot be started again);
    ``cancel()`` leaves it ready for another ``start()``.

How it is built on the hub
    A Timeout is one ``hub.timer(seconds, priority=-1)`` whose callback is
    ``greenlet.throw(exception)``. The low priority means that a sleep ending at the same
    moment as the timeout wins, as in gevent. Every blocking call of coopconc that takes a
    ``timeout=`` argument uses ``Timeout._start_new_or_dummy`` so that no timer is made when
    no timeout is asked for.

Taught in notebook 07 (timeouts).
"""

from __future__ import annotations

from greenlet import getcurrent

from coopconc.hub import check_timeout, get_hub

__all__ = ["Timeout", "with_timeout"]


class _FakeTimer:
    """Stands in for a timer when no timeout was asked for: never pending, stops silently."""

    pending = False
    active = False
    seconds = None

    def start(self, *args, **kwargs):
        raise AssertionError("a Timeout with seconds=None cannot be started")

    def stop(self):
        pass

    close = cancel = stop

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass


_FAKE_TIMER = _FakeTimer()


class Timeout(BaseException):
    """Raise an exception in the current greenlet after ``seconds``.

    ``exception`` may be None (raise this Timeout itself), an exception class or instance (raise
    that), or False (used with ``with``: leave the block silently when time is up)::

        with Timeout(0.5, False):
            slow()          # cut short after half a second, no error
    """

    def __init__(
        self,
        seconds=None,
        exception=None,
        ref: bool = True,
        priority: int = -1,
        _one_shot: bool = False,
    ):
        BaseException.__init__(self)
        seconds = check_timeout("Timeout", seconds, "seconds")
        self.seconds = seconds
        self.exception = exception
        self._one_shot = _one_shot
        if seconds is None:
            self.timer = _FAKE_TIMER
        else:
            self.timer = get_hub().timer(seconds or 0.0, ref=ref, priority=priority)

    def start(self) -> None:
        """Arm the timer: from now on, the current greenlet has ``seconds`` to cancel it."""
        if self.pending:
            raise AssertionError(f"{self!r} is already started; to restart it, cancel it first")
        if self.seconds is None:
            return  # a Timeout of None never expires
        if self.timer is _FAKE_TIMER:
            raise AssertionError(
                f"{self!r} was closed (by close() or at the end of its with-block) and cannot "
                "be started again; make a new Timeout"
            )
        if self.exception is None or self.exception is False or isinstance(self.exception, str):
            throws = self
        else:
            throws = self.exception
        self.timer.start(getcurrent().throw, throws)

    @classmethod
    def start_new(
        cls, timeout=None, exception=None, ref: bool = True, _one_shot: bool = False
    ) -> Timeout:
        """Make and start a Timeout (or start ``timeout`` itself if it already is one)."""
        if isinstance(timeout, Timeout):
            if not timeout.pending:
                timeout.start()
            return timeout
        t = cls(timeout, exception, ref=ref, _one_shot=_one_shot)
        t.start()
        return t

    @staticmethod
    def _start_new_or_dummy(timeout, exception=None, ref: bool = True):
        """What blocking calls use for their ``timeout=`` argument: no timer for None."""
        if timeout is None:
            return _FAKE_TIMER
        return Timeout.start_new(timeout, exception, ref, _one_shot=True)

    @property
    def pending(self) -> bool:
        """True while the timer is armed and has not fired."""
        return self.timer.pending

    def cancel(self) -> None:
        """Disarm the timer (if it is armed). A one-shot Timeout is also closed."""
        if self.timer.pending:
            self.timer.stop()
        if self._one_shot:
            self.close()

    def close(self) -> None:
        """Disarm and release the timer; the Timeout cannot be started again."""
        self.timer.stop()
        self.timer = _FAKE_TIMER

    def __enter__(self) -> Timeout:
        if not self.pending:
            self.start()
        return self

    def __exit__(self, typ, value, tb) -> bool | None:
        self.close()
        if value is self and self.exception is False:
            return True  # a silent timeout: swallow it and go on after the block
        return None

    def __repr__(self) -> str:
        pending = " pending" if self.pending else ""
        exception = "" if self.exception is None else f" exception={self.exception!r}"
        return f"<{type(self).__name__} seconds={self.seconds}{exception}{pending}>"

    def __str__(self) -> str:
        if self.seconds is None:
            return ""
        suffix = "" if self.seconds == 1 else "s"
        if self.exception is None:
            return f"{self.seconds} second{suffix}"
        if self.exception is False:
            return f"{self.seconds} second{suffix} (silent)"
        return f"{self.seconds} second{suffix}: {self.exception}"

    def __lt__(self, other):
        """Timeouts compare by their seconds, with numbers or other Timeouts (as in gevent)."""
        try:
            return self.seconds < other.seconds
        except AttributeError:
            try:
                return self.seconds < other
            except TypeError:
                return NotImplemented


_NONE = object()


def with_timeout(seconds, function, *args, timeout_value=_NONE, **kwargs):
    """Call ``function(*args, **kwargs)``; if it takes longer than ``seconds``, cut it short.

    When time runs out, return ``timeout_value`` if given, else raise the Timeout.
    """
    timeout = Timeout.start_new(seconds, _one_shot=True)
    try:
        try:
            return function(*args, **kwargs)
        except Timeout as ex:
            if ex is timeout and timeout_value is not _NONE:
                return timeout_value
            raise
    finally:
        timeout.cancel()
