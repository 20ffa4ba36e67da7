"""Monkey patching: make unmodified blocking code cooperative by swapping the stdlib's parts.

What it is
    A library written for ordinary blocking Python (``urllib``, ``http.client``, a database
    driver in pure Python) calls ``socket.socket``, ``select.select``, ``time.sleep``. Each of
    those calls blocks the whole OS thread, so one greenlet using the library freezes all the
    others. ``patch_all()`` replaces those names *inside the standard library modules* with
    coopconc's cooperative versions; the library, which looks them up there, now waits in the
    hub without knowing it. Nothing is compiled or hooked: it is plain ``setattr`` on modules.

What coopconc patches (gevent's names; each ``patch_X`` can be called alone)
    * ``patch_socket``: ``socket.socket``/``SocketType``, ``create_connection``,
      ``socketpair``, ``fromfd`` and the name lookups (``getaddrinfo``...) from
      ``coopconc.socket``.
    * ``patch_select``: ``select.select`` and ``select.poll`` from ``coopconc.select``; with
      ``aggressive=True`` it removes ``select.epoll``/``kqueue``/``devpoll`` so that code which
      probes for them falls back to the patched ones.
    * ``patch_selectors``: ``selectors.DefaultSelector`` becomes ``coopconc.selectors``'
      cooperative one; the stdlib's ``PollSelector`` and ``SelectSelector`` are made to wait
      through ``coopconc.select`` too -- ``socketserver`` and ``multiprocessing.connection``
      took ``PollSelector`` when they were imported, so patching the name alone would miss
      them. With ``aggressive=True`` ``EpollSelector``... are removed. ``patch_all(select=)``
      does both, as in gevent.
    * ``patch_time``: ``time.sleep`` becomes ``coopconc.sleep``.
    * ``patch_subprocess``: ``Popen``, ``call``, ``check_call``, ``check_output``, ``run``,
      ``getoutput``, ``getstatusoutput`` from ``coopconc.subprocess``.
    * ``patch_thread``: ``threading.local`` (and ``_thread._local``) become
      ``coopconc.local.local``; ``threading.Lock``, ``threading.RLock``,
      ``threading._allocate_lock`` and ``_thread.allocate_lock`` make *hybrid* locks: a greenlet
      that has to wait waits in the hub, a plain OS thread waits in the kernel, and either may
      release a lock the other waits for (a release from another thread wakes the hub through
      its self-pipe). So ``threading.Event``, ``Condition``, ``queue.Queue`` made after patching
      are cooperative, and real threads keep working.
      **Not patched** (unlike gevent): ``threading.Thread``/``start_new_thread`` stay real OS
      threads and ``get_ident`` stays the thread's id -- coopconc's thread pool and watchdog
      rely on real threads, and a course about both models should not blur them. Locks created
      *before* patching (module-level ones in already imported modules) stay ordinary locks.
    * ``patch_os`` patches nothing (coopconc has no fork hooks; see notebook 14 for the fork
      pitfalls); ``patch_all`` accepts gevent's other keywords (``ssl``, ``dns``, ``signal``...)
      and ignores the ones coopconc has nothing for.

Bookkeeping and the late-import pitfall
    Every original is saved (the first time only, so patching twice is harmless) in
    ``saved[module][name]`` (``name`` is ``"Class.attribute"`` for an attribute of a class);
    ``get_original``, ``is_module_patched`` and ``is_object_patched`` read it, and ``report()``
    (coopconc's addition) lists it. After patching, coopconc scans the modules already imported for names still bound
    to an original -- what ``from socket import socket`` leaves behind -- and warns with
    ``MonkeyPatchWarning``: those copies still block. The cure is to call ``patch_all()`` first
    thing, before other imports.

    coopconc's own modules must keep calling the real functions (the hub sleeps with the real
    ``time.sleep``; ``coopconc.socket`` resolves names with the real ``getaddrinfo``). Before a
    module is patched, every coopconc module holding it gets a frozen copy with the originals.

    coopconc adds ``unpatch_all()`` and the context manager ``patched(...)`` (not in gevent):
    they put every original back, so a notebook can show patching and undo it.

Taught in notebook 08 (monkey patching).
"""

from __future__ import annotations

import _thread
import contextlib
import sys
import sysconfig
import types
import warnings
from collections import deque

from greenlet import getcurrent

from coopconc.hub import Hub, Waiter, get_hub_if_exists

__all__ = [
    "MonkeyPatchWarning",
    "patch_all",
    "patch_socket",
    "patch_select",
    "patch_selectors",
    "patch_time",
    "patch_subprocess",
    "patch_thread",
    "patch_os",
    "get_original",
    "is_module_patched",
    "is_object_patched",
    "is_anything_patched",
    "unpatch_all",
    "patched",
    "report",
    "saved",
]


class MonkeyPatchWarning(RuntimeWarning):
    """Patching happened too late for some code: it still holds the blocking originals."""


#: module name -> {attribute name: the original object (or _MISSING if there was none)}
saved: dict[str, dict[str, object]] = {}

_MISSING = object()

# Real OS-thread primitives, taken before anything can be patched.
_real_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident


# ---------------------------------------------------------------------------------------------
# Bookkeeping


def _patch_item(module: types.ModuleType, name: str, new) -> bool:
    """Set ``module.name = new``, saving the original; True if it was not patched before."""
    originals = saved.setdefault(module.__name__, {})
    first_time = name not in originals
    if first_time:
        originals[name] = getattr(module, name, _MISSING)
    setattr(module, name, new)
    return first_time


def _patch_class_item(module: types.ModuleType, path: str, new) -> None:
    """``module.Class.attribute = new`` for ``path`` ``"Class.attribute"``, saving the original."""
    owner_name, _, name = path.rpartition(".")
    owner = getattr(module, owner_name)
    saved.setdefault(module.__name__, {}).setdefault(path, vars(owner).get(name, _MISSING))
    setattr(owner, name, new)


def _restore(module: types.ModuleType, path: str, original) -> None:
    """Put ``original`` back at ``module.path`` (``path`` may be ``"Class.attribute"``)."""
    owner_name, _, name = path.rpartition(".")
    owner = getattr(module, owner_name) if owner_name else module
    if original is not _MISSING:
        setattr(owner, name, original)
    elif name in vars(owner):
        delattr(owner, name)


def _remove_item(module: types.ModuleType, name: str) -> None:
    if hasattr(module, name):
        saved.setdefault(module.__name__, {}).setdefault(name, getattr(module, name))
        delattr(module, name)


def is_module_patched(mod_name: str) -> bool:
    """True if coopconc replaced something in the stdlib module ``mod_name`` (e.g. 'socket')."""
    return mod_name in saved


def is_object_patched(mod_name: str, item_name: str) -> bool:
    """True if ``mod_name.item_name`` (e.g. 'socket', 'socket') was replaced by coopconc."""
    return item_name in saved.get(mod_name, ())


def is_anything_patched() -> bool:
    return bool(saved)


def get_original(mod_name, item_name):
    """The object ``mod_name.item_name`` was before patching (what it is now, if unpatched).

    ``item_name`` may be a list of names (a list is returned); ``mod_name`` may be a list of
    alternative module names, the first importable one is used.
    """
    mod_names = [mod_name] if isinstance(mod_name, str) else list(mod_name)
    names = [item_name] if isinstance(item_name, str) else list(item_name)
    for i, mod in enumerate(mod_names):
        try:
            module = __import__(mod)
        except ImportError:
            if i == len(mod_names) - 1:
                raise
            continue
        originals = saved.get(mod, {})
        values = []
        for name in names:
            value = originals.get(name, _MISSING)
            values.append(getattr(module, name) if value is _MISSING else value)
        return values[0] if isinstance(item_name, str) else values
    raise ImportError(f"get_original({mod_name!r}, ...): no module name given")


def _warn_late_imports(target: str, names) -> None:
    """Warn about imported modules that kept a reference to an original we just replaced."""
    originals = saved.get(target, {})
    wanted = {
        id(obj): name
        for name, obj in originals.items()
        if name in names and obj is not _MISSING and callable(obj)
    }
    if not wanted:
        return
    holders = []
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name == target or mod_name.split(".")[0] in _SKIP_PACKAGES:
            continue
        if mod_name != "__main__" and not _is_user_code(module):
            continue
        if target in _THREAD_MODULES and mod_name in _THREAD_MODULES:
            continue  # patch_thread patches these three together
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in items:
            name = wanted.get(id(value))
            if name is not None and value is originals[name]:
                holders.append(f"{mod_name}.{attr} (= the original {target}.{name})")
    if holders:
        warnings.warn(
            f"patching {target!r} came too late for code that already imported its blocking "
            f"originals: {', '.join(sorted(holders))}. Those copies still block every greenlet. "
            "Call coopconc.monkey.patch_all() first thing in your program, before any other "
            "import.",
            MonkeyPatchWarning,
            stacklevel=_stacklevel_outside_this_module(),
        )


def _stacklevel_outside_this_module() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside coopconc.monkey."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


def _is_user_code(module) -> bool:
    """A module of Python source outside the standard library (whose copies we cannot help:
    C modules like ``_socket`` hold what ``socket`` re-exports, ``tempfile`` keeps a lock)."""
    path = str(getattr(module, "__file__", None) or "")
    if not path.endswith(".py"):
        return False
    return "-packages" in path or not path.startswith(_STDLIB_DIRS)


_STDLIB_DIRS = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
_THREAD_MODULES = {"_thread", "threading", "_threading_local"}
_SKIP_PACKAGES = {"coopconc", "gevent", "greenlet", "_pytest", "pytest"}


# ---------------------------------------------------------------------------------------------
# The patches


def _patch_module(target: str, source, items) -> None:
    module = __import__(target)
    _keep_originals_for_coopconc(module)
    patched_now = [
        name
        for name in items
        if hasattr(source, name) and _patch_item(module, name, getattr(source, name))
    ]
    _warn_late_imports(target, patched_now)


def _keep_originals_for_coopconc(module: types.ModuleType) -> None:
    """Give coopconc's own modules a frozen copy of ``module`` before it is patched.

    coopconc's code calls the real functions through the module (the hub's ``time.sleep``,
    ``coopconc.socket`` calling the stdlib's ``getaddrinfo`` in a thread). After patching,
    those names would lead back to coopconc itself -- a sleep inside the hub, an endless
    recursion. So each coopconc module that holds ``module`` gets a copy made now, with the
    originals in it (recorded like any patch, and put back by ``unpatch_all``).
    """
    frozen = None
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod_name.split(".")[0] != "coopconc" or mod_name == __name__:
            continue
        for attr, value in list(vars(mod).items()):
            if value is module:
                if frozen is None:
                    frozen = types.ModuleType(module.__name__, f"{module.__name__}, unpatched")
                    frozen.__dict__.update(
                        {k: v for k, v in vars(module).items() if not k.startswith("__")}
                    )
                _patch_item(mod, attr, frozen)


def patch_socket(dns: bool = True, aggressive: bool = True) -> None:
    """Replace ``socket.socket`` and friends (and, with ``dns``, the name lookups)."""
    from coopconc import socket as green

    items = ["socket", "SocketType", "create_connection", "socketpair", "fromfd"]
    if dns:
        items += _DNS
    _patch_module("socket", green, items)


_DNS = [
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getnameinfo",
    "getfqdn",
]


def patch_dns() -> None:
    """Replace only the name lookups of ``socket`` (``getaddrinfo``...)."""
    from coopconc import socket as green

    _patch_module("socket", green, _DNS)


def patch_select(aggressive: bool = True) -> None:
    """Replace ``select.select`` and ``select.poll``; remove ``epoll``... if ``aggressive``."""
    from coopconc import select as green

    _patch_module("select", green, ["select", "poll"])
    if aggressive:
        import select

        for name in ("epoll", "kqueue", "kevent", "devpoll"):
            _remove_item(select, name)


def patch_selectors(aggressive: bool = True) -> None:
    """Make ``selectors`` wait cooperatively: ``DefaultSelector`` and the stdlib's selector
    classes (see the essay); remove ``EpollSelector``... if ``aggressive``."""
    import selectors

    from coopconc import selectors as green

    _patch_module("selectors", green, ["DefaultSelector"])
    _patch_class_item(selectors, "PollSelector._selector_cls", green.poll)
    _patch_class_item(selectors, "SelectSelector._select", green.select_method)
    if aggressive:
        for name in ("EpollSelector", "KqueueSelector", "DevpollSelector"):
            _remove_item(selectors, name)


def patch_time() -> None:
    """Replace ``time.sleep`` with ``coopconc.sleep``."""
    import coopconc.hub

    _patch_module("time", coopconc.hub, ["sleep"])


def patch_subprocess() -> None:
    """Replace ``subprocess.Popen``, ``call``, ``check_call``, ``check_output``, ``run``..."""
    from coopconc import subprocess as green

    items = ["Popen", "call", "check_call", "check_output", "run", "getoutput", "getstatusoutput"]
    _patch_module("subprocess", green, items)


def patch_thread(threading: bool = True, _threading_local: bool = True, **_ignored) -> None:
    """Make ``threading.local`` greenlet-local and the locks greenlet-aware (see the essay).

    Threads stay real OS threads.
    """
    import _threading_local as _threading_local_module
    import threading as _threading_module  # imported (set up) before _thread is patched

    from coopconc.local import local

    del _threading_local_module, _threading_module
    green = types.SimpleNamespace(
        allocate_lock=Lock, _local=local, local=local, Lock=Lock, RLock=RLock, _allocate_lock=Lock
    )
    _patch_module("_thread", green, ["allocate_lock", "_local"])
    if threading:
        _patch_module("threading", green, ["local", "Lock", "RLock", "_allocate_lock"])
    if _threading_local:
        _patch_module("_threading_local", green, ["local"])


def patch_os() -> None:
    """Nothing to patch: coopconc has no fork hooks (kept for gevent's ``patch_all(os=...)``)."""


def patch_all(
    socket: bool = True,
    dns: bool = True,
    time: bool = True,
    select: bool = True,
    thread: bool = True,
    os: bool = True,
    ssl: bool = True,
    subprocess: bool = True,
    sys: bool = False,
    aggressive: bool = True,
    Event: bool = True,
    builtins: bool = True,
    signal: bool = True,
    queue: bool = True,
    contextvars: bool = True,
    **kwargs,
) -> bool:
    """Patch everything coopconc can (gevent's signature). Call it first thing in a program.

    Keywords coopconc has nothing for (``ssl``, ``sys``, ``builtins``, ``signal``, ``queue``,
    ``contextvars``, ``Event``) are accepted and ignored. Returns True, as gevent does;
    ``print(report())`` shows what was replaced.
    """
    if os:
        patch_os()
    if time:
        patch_time()
    if thread:
        patch_thread()
    if socket:
        patch_socket(dns=dns, aggressive=aggressive)
    if select:
        patch_select(aggressive=aggressive)
        patch_selectors(aggressive=aggressive)
    if subprocess:
        patch_subprocess()
    return True


# -- coopconc's additions -----------------------------------------------------------------------


def unpatch_all() -> None:
    """Put back every original that coopconc replaced (coopconc's addition, not gevent's).

    Objects created while patched (sockets, locks) stay what they are.
    """
    for mod_name, originals in list(saved.items()):
        module = sys.modules.get(mod_name)
        if module is None:
            continue
        for name, original in originals.items():
            _restore(module, name, original)
    saved.clear()


def report() -> str:
    """What is patched now, one line per stdlib module (coopconc's addition, not gevent's)::

    select: replaced poll, select; removed devpoll, epoll, kevent, kqueue
    """
    lines = []
    for mod_name, originals in sorted(saved.items()):
        module = sys.modules.get(mod_name)
        if module is None or mod_name.split(".")[0] == "coopconc":
            continue  # coopconc's own modules only got frozen copies of the originals
        replaced, removed = [], []
        for path in sorted(originals):
            owner_name, _, name = path.rpartition(".")
            owner = getattr(module, owner_name) if owner_name else module
            (replaced if name in vars(owner) else removed).append(path)
        parts = [f"replaced {', '.join(replaced)}"] if replaced else []
        parts += [f"removed {', '.join(removed)}"] if removed else []
        lines.append(f"{mod_name}: {'; '.join(parts)}")
    return "\n".join(lines) if lines else "nothing is patched"


@contextlib.contextmanager
def patched(**kwargs):
    """``with patched(): ...`` runs the block patched, then undoes it (coopconc's addition).

    Takes ``patch_all``'s keywords. Meant for notebooks and tests; a real program patches once,
    at the top, for good.
    """
    already = set(saved)
    if already:
        raise RuntimeError(
            f"patched(): {sorted(already)} are patched already and would be undone at the end "
            "of the block; call unpatch_all() first, or do not nest patching"
        )
    patch_all(**kwargs)
    try:
        yield
    finally:
        unpatch_all()


# ---------------------------------------------------------------------------------------------
# Hybrid locks: greenlets wait in the hub, OS threads wait in the kernel


def _current_hub():
    """The hub of this thread if it has one and we are in one of its greenlets, else None."""
    hub = get_hub_if_exists()
    if hub is None or getcurrent() is hub or isinstance(getcurrent(), Hub):
        return None
    return hub


class Lock:
    """A ``threading.Lock`` that a waiting greenlet waits for in the hub, not in the kernel.

    Built on a real lock: acquiring is ``real.acquire(False)``; if that fails, a greenlet parks
    on a Waiter (queued on the lock) and is woken by ``release`` -- through ``run_callback``
    from its own thread, through ``run_callback_threadsafe`` from another one. A thread with
    no greenlets (no hub) just blocks on the real lock.
    """

    __slots__ = ("_real", "_waiters", "__weakref__")

    def __init__(self):
        self._real = _real_allocate_lock()
        self._waiters: deque = deque()  # (thread ident, hub, Waiter)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        real = self._real
        if real.acquire(False):
            return True
        if not blocking:
            if timeout != -1:
                raise ValueError("can't specify a timeout for a non-blocking call")
            return False
        hub = _current_hub()
        if hub is None:
            return real.acquire(True, timeout)
        return self._acquire_cooperatively(hub, None if timeout < 0 else timeout)

    def _acquire_cooperatively(self, hub, timeout) -> bool:
        deadline = None if timeout is None else hub.now() + timeout
        hub.ensure_wakeup()  # a release from another thread must be able to wake us
        hub.ref()
        try:
            while True:
                waiter = Waiter(hub)
                entry = (_get_ident(), hub, waiter)
                self._waiters.append(entry)
                if self._real.acquire(False):  # released between our try and our queueing
                    self._discard(entry)
                    return True
                timer = None
                if deadline is not None:
                    remaining = deadline - hub.now()
                    if remaining <= 0:
                        self._discard(entry)
                        return False
                    timer = hub.timer(remaining)
                    timer.start(waiter.switch, _TIMED_OUT)
                try:
                    woken = waiter.get("Lock.acquire", self)
                except BaseException:
                    self._discard(entry)
                    self._wake_one()  # pass on a wake-up we may have been given
                    raise
                finally:
                    if timer is not None:
                        timer.stop()
                if woken is _TIMED_OUT:
                    self._discard(entry)
                    if self._real.acquire(False):
                        return True
                    self._wake_one()  # a release may have picked us just now: pass it on
                    return False
                if self._real.acquire(False):
                    return True
        finally:
            hub.unref()

    def _discard(self, entry) -> None:
        try:
            self._waiters.remove(entry)
        except ValueError:
            pass

    def release(self) -> None:
        self._real.release()  # raises RuntimeError if unlocked, like the stdlib
        self._wake_one()

    def _wake_one(self) -> None:
        try:
            ident, hub, waiter = self._waiters.popleft()
        except IndexError:
            return
        if ident == _get_ident():
            hub.run_callback(waiter.switch, None)
        else:
            hub.run_callback_threadsafe(waiter.switch, None)

    def locked(self) -> bool:
        return self._real.locked()

    def _at_fork_reinit(self) -> None:
        self._real._at_fork_reinit()
        self._waiters.clear()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self.locked() else "unlocked"
        return f"<coopconc.monkey.Lock {state} waiters={len(self._waiters)}>"


_TIMED_OUT = object()


class RLock:
    """A re-entrant hybrid lock, owned by a greenlet (so two greenlets of one thread exclude
    each other, as they should once threads are thought of as greenlets)."""

    __slots__ = ("_block", "_owner", "_count", "__weakref__")

    def __init__(self):
        self._block = Lock()
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        if self._owner is not getcurrent():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    __enter__ = acquire

    def __exit__(self, *exc_info) -> None:
        self.release()

    # threading.Condition uses these three when its lock is an RLock
    def _is_owned(self) -> bool:
        return self._owner is getcurrent()

    def _release_save(self):
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state) -> None:
        self._block.acquire()
        self._count, self._owner = state

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    def __repr__(self) -> str:
        owner = "unlocked" if self._owner is None else f"owned count={self._count}"
        return f"<coopconc.monkey.RLock {owner}>"
