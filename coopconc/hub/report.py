"""The deadlock report: who is blocked, on what, and where -- when nothing can ever wake them.

What it is
    When the hub's loop runs out of work (no callback, no timer, no file descriptor, no
    thread-pool job) while the main greenlet still waits, nothing can ever happen again. The
    hub then raises ``LoopExit`` in the main greenlet with the text made here: every greenlet
    *of this hub* that is parked, what it waits in (the reason its Waiter gave: "Queue.get",
    "Event.wait", ...), on which object, and at which line of *your* code.

How it finds them
    A parked greenlet carries its waiter as ``_cc_waiter`` (see ``coopconc/hub/waiter.py``);
    the report walks the garbage collector's list of live objects for greenlets with one, and
    keeps those whose chain of parents leads to this hub (greenlets of other threads' hubs
    belong to other reports). ``where`` walks the greenlet's suspended frames outward and names
    the first one that is not in coopconc's (or greenlet's) own files.

Part of the hub (``coopconc/hub/``); taught in notebooks 03 (event loops) and 19 (pitfalls).
"""

from __future__ import annotations

import gc
import os
import sys

import greenlet as _greenlet_package
from greenlet import getcurrent, greenlet

_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(module_file)) + os.sep
    for module_file in (
        os.path.dirname(os.path.abspath(__file__)),  # coopconc/hub -> coopconc/
        _greenlet_package.__file__,  # greenlet's own Python files
    )
)


def waiting_reason(g) -> str | None:
    """What greenlet ``g`` is parked on, as text (``"Queue.get"``), or None if it is not."""
    w = getattr(g, "_cc_waiter", None)
    return w.reason if w is not None else None


def _is_library_file(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def where(g) -> str:
    """The file:line in user code where greenlet ``g`` is suspended (coopconc's frames skipped)."""
    frame = g.gr_frame if g is not getcurrent() else sys._getframe(1)
    fallback = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if fallback is None:
            fallback = frame
        if not _is_library_file(filename):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    if fallback is not None:
        return f"{fallback.f_code.co_filename}:{fallback.f_lineno}"
    return "<not started>"


def name_of(g) -> str:
    """How the report calls a greenlet: "the main greenlet", its name, or its repr."""
    if getattr(g, "parent", True) is None:
        return "the main greenlet"
    name = getattr(g, "name", None)
    if isinstance(name, str):
        return f'greenlet "{name}"'
    return repr(g)


def belongs_to(g, hub) -> bool:
    """True if greenlet ``g`` runs under ``hub``: its main greenlet, or a descendant of the hub."""
    if g is hub.parent:
        return True
    parent = g.parent
    while parent is not None:
        if parent is hub:
            return True
        parent = parent.parent
    return False


def blocked_greenlets(hub) -> list:
    """The greenlets of ``hub`` parked in a wait, the main greenlet first, then by spawn order."""
    blocked = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, greenlet)
        and not obj.dead
        and getattr(obj, "_cc_waiter", None) is not None
        and belongs_to(obj, hub)
    ]
    main = hub.parent
    return sorted(blocked, key=lambda g: (g is not main, getattr(g, "minimal_ident", 0)))


def loop_exit_message(hub) -> str:
    """The text of the LoopExit that ``hub`` raises when nothing can wake anybody any more."""
    blocked = blocked_greenlets(hub)
    lines = ["This operation would block forever: every greenlet is waiting, and nothing"]
    lines.append("left (no callback, timer or file descriptor) can ever wake one of them.")
    if blocked:
        lines.append("Blocked greenlets:")
    for g in blocked:
        w = g._cc_waiter
        on = f" on {w.obj!r}" if w.obj is not None else ""
        lines.append(f"  - {name_of(g)} waits in {w.reason}{on} at {where(g)}")
    if hub.parent not in blocked:
        lines.append("  (the main greenlet switched to the hub without waiting for anything)")
    return "\n".join(lines)
