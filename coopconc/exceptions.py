"""Exceptions of coopconc, with gevent's names.

`LoopExit` is the one students meet most: it is raised in the main greenlet when it waits
for something that nothing left in the program can ever do. gevent says only "This operation
would block forever"; ours also lists every blocked greenlet, what it waits on and where
(made by `coopconc/hub/report.py`). Notebook 19 (pitfalls) shows it.
"""

from greenlet import GreenletExit

__all__ = [
    "GreenletExit",
    "LoopExit",
    "BlockingSwitchOutError",
    "ConcurrentObjectUseError",
]


class LoopExit(Exception):
    """The main greenlet waits, and nothing can ever wake it: a deadlock or a forgotten start."""

    def __init__(self, message: str = "This operation would block forever", *details):
        super().__init__(message, *details)

    def __str__(self) -> str:
        return str(self.args[0])


class BlockingSwitchOutError(AssertionError):
    """A blocking call was made from the hub itself (inside a callback), which cannot wait."""


class ConcurrentObjectUseError(AssertionError):
    """Two greenlets tried to wait on the same file descriptor for the same event."""
