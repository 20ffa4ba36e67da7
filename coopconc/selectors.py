"""Cooperative selectors: the standard library's ``selectors`` API, waiting in the hub.

What it is
    ``selectors.DefaultSelector`` is how most of the standard library waits for sockets:
    ``socketserver`` (and so ``http.server``), ``multiprocessing.connection.wait``,
    ``subprocess.communicate``, asyncio. Its ``select(timeout)`` blocks the whole OS thread.
    ``coopconc.selectors.DefaultSelector`` has the same methods (``register``, ``modify``,
    ``unregister``, ``select``, ``get_map``...) but waits like a greenlet, so the others keep
    running; ``coopconc.monkey.patch_all()`` puts it in the ``selectors`` module (as gevent
    does with ``gevent.selectors``).

How it is built on the hub
    It is the standard library's own ``PollSelector`` -- the bookkeeping of registered
    files, keys and events is unchanged -- with its ``poll`` object replaced by
    ``coopconc.select.poll``, which asks the kernel without waiting and, if nothing is ready,
    parks the greenlet through the hub's ``wait_fd`` (see ``coopconc.select``). The stdlib
    class takes the poll object from its ``_selector_cls`` attribute: that one attribute is
    what changes.

Taught in notebook 08 (monkey patching).
"""

from __future__ import annotations

import selectors as __selectors__

from coopconc.select import poll, select

__all__ = ["DefaultSelector", "CooperativeSelector"]


class CooperativeSelector(__selectors__.PollSelector):
    """A ``selectors.PollSelector`` whose ``select`` parks only the calling greenlet.

    (coopconc's name; gevent calls its own one ``GeventSelector``.)
    """

    _selector_cls = poll


DefaultSelector = CooperativeSelector


def select_method(selector, rlist, wlist, xlist, timeout=None):
    """What ``patch_selectors`` puts in ``selectors.SelectSelector._select``: a method (the
    stdlib's is the builtin ``select.select``, which does not bind ``self``)."""
    return select(rlist, wlist, xlist, timeout)
