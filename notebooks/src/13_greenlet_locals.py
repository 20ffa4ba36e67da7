# %% [markdown]
# # 13 · Greenlet locals — 线程局部变量 (Thread-local variables)
#
# **Source:** part *Gevent → 数据结构*, the section **线程局部变量** (thread-local variables,
# here: greenlet-local), and its paragraph on web frameworks' request objects. The listings
# were lost (`执行结果:` with nothing around it); the examples below re-create them.
#
# After this notebook you can:
# - keep data private to each greenlet with `coopconc.local.local`, and give every greenlet
#   the same defaults with a subclass `__init__`;
# - build a Flask-style global `request` object that is a different request in every greenlet;
# - say when a greenlet's local data is freed.

# %% [markdown]
# ## Data local to each greenlet
#
# `stash = local()` is one object, shared by every greenlet, yet each greenlet sees only the
# attributes it set itself. `f1` sets `x`, `f2` sets `y`; `f2` cannot see `f1`'s `x`.

# %%
import coopconc
from coopconc.local import local

stash = local()


def f1():
    stash.x = 1
    print("f1 sees x =", stash.x)


def f2():
    stash.y = 2
    print("f2 sees y =", stash.y)
    try:
        print(stash.x)
    except AttributeError:
        print("x is not local to f2")


finished = coopconc.joinall([coopconc.spawn(f1), coopconc.spawn(f2)])
print("main sees:", stash.__dict__, "- main set nothing")

# %% [markdown]
# ## Same defaults everywhere: a subclass with `__init__`
#
# The source says the local is implemented as a global lookup keyed by the current greenlet
# (`getcurrent()`). One consequence: a greenlet that touches the object for the first time
# starts with *nothing*. A subclass can define `__init__`; it runs again — with the arguments
# given when the object was made — the first time each greenlet touches the object, so every
# greenlet starts from the same defaults. Watch `__init__` run once per greenlet, and each
# greenlet's changes stay its own even across a switch.

# %%
import coopconc
from coopconc.local import local


class Settings(local):
    def __init__(self, level):
        print("  __init__ runs for", getattr(coopconc.getcurrent(), "name", "main"))
        self.level = level


settings = Settings("info")


def worker(level):
    print(coopconc.getcurrent().name, "starts with", settings.level)
    settings.level = level
    coopconc.sleep(0)  # another greenlet runs and changes *its* level
    print(coopconc.getcurrent().name, "still has", settings.level)


greenlets = []
for name, level in [("w1", "debug"), ("w2", "error")]:
    g = coopconc.Greenlet(worker, level)
    g.name = name
    greenlets.append(g)
    g.start()
finished = coopconc.joinall(greenlets)
print("main still has", settings.level)

# %% [markdown]
# ## A request object in the style of web frameworks
#
# Flask lets a view function say `request.path` although `request` is a global name — and the
# server handles many requests at once, one greenlet each. The trick (in Flask done with
# Werkzeug's `LocalProxy`) is a *proxy*: a small object that, on every attribute access, looks
# up "the request of the greenlet that is running now" in a local. Here is the whole idea in a
# dozen lines, no Werkzeug needed. The three handlers interleave (each waits in the middle, as
# a real handler waits for a database), yet each one's `request` stays its own.

# %%
import coopconc
from coopconc.local import local

_context = local()


class LocalProxy:
    """Forwards every attribute to ``_context.<name>`` of the current greenlet."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _target(self):
        try:
            return getattr(_context, object.__getattribute__(self, "_name"))
        except AttributeError:
            raise RuntimeError("working outside of a request: no request in this greenlet") from None

    def __getattr__(self, attr):
        return getattr(self._target(), attr)

    def __repr__(self):
        return f"<LocalProxy to {self._target()!r}>"


request = LocalProxy("request")


class Request:
    def __init__(self, path, user):
        self.path, self.user = path, user

    def __repr__(self):
        return f"<Request {self.path} for {self.user}>"


def view():
    # the "application code": uses the global name `request`
    coopconc.sleep(0.1)  # e.g. a database query; other handlers run meanwhile
    return f"{request.user} asked for {request.path}"


def handle(path, user):
    _context.request = Request(path, user)  # what the server does before calling the view
    print(f"t={coopconc.now():.1f} start {request!r}")
    return view()


with coopconc.virtual_clock():
    jobs = [coopconc.spawn(handle, p, u) for p, u in [("/", "ann"), ("/cart", "bob"), ("/pay", "cy")]]
    coopconc.joinall(jobs)
for job in jobs:
    print(job.value)

try:
    request.path
except RuntimeError as ex:
    print("in main:", ex)

# %% [markdown]
# ### The same three requests, drawn
#
# The timeline shows why a plain global variable would not do: the three handlers are all
# *in the middle* of their request at the same time (each waits in `sleep` for its "database"),
# so a single global `request` would be overwritten twice before the first view reads it. Each
# row ran with its own `request` every time it held the CPU.

# %%
import matplotlib.pyplot as plt

import coopconc
from coopconc.local import local
from coopconc.trace import Tracer

ctx = local()


def handle(path):
    ctx.path = path
    coopconc.sleep(0.1)  # the view waits for the database
    return ctx.path


with coopconc.virtual_clock(), Tracer() as tracer:
    handlers = []
    for path in ["/", "/cart", "/pay"]:
        g = coopconc.Greenlet(handle, path)
        g.name = f"handler {path}"
        g.start()
        handlers.append(g)
    coopconc.joinall(handlers)
print("each handler read back its own path:", [g.value for g in handlers])
fig = tracer.timeline(title="three requests in flight at once, each with its own ctx.path").figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("13_requests.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## When is local data freed?
#
# Each greenlet's attributes live as long as the greenlet: when a `Greenlet` finishes, its
# dict is dropped (even while something still holds the dead Greenlet object), so a server
# that handles a million requests does not keep a million request objects. We check with a weak
# reference, which goes dead when its object is freed.

# %%
import gc
import weakref

import coopconc
from coopconc.local import local

data = local()


class BigPayload:
    pass


refs = []


def handler():
    payload = BigPayload()
    refs.append(weakref.ref(payload))
    data.payload = payload
    print("while running, alive:", refs[0]() is not None)


g = coopconc.spawn(handler)
g.join()
coopconc.sleep(0)  # let the hub run the finished greenlet's links
gc.collect()
print("after the greenlet finished, alive:", refs[0]() is not None, "- greenlet dead:", g.dead)
print(data)

# %% [markdown]
# ## Errata
#
# - **The listings are missing** in the source; they are re-created above in Python 3.
# - **"Implemented as a global lookup keyed by `getcurrent()`"** is right in spirit, but a plain
#   dict keyed by greenlet would keep every greenlet's data forever. The local must also drop
#   a greenlet's data when it dies — shown above — and must not let a new greenlet see the
#   data of a dead one that happened to have the same `id`.
# - **Werkzeug is not needed** for the request proxy: the `LocalProxy` above is the whole idea.
#   (Modern Flask uses `contextvars`. Those are greenlet-local too, and not thanks to gevent:
#   greenlet itself, since version 1.0, gives every greenlet its own `contextvars` context, so
#   a `ContextVar` set in one greenlet is not seen in another — with gevent, with coopconc, or
#   with raw greenlets.) Shown with raw greenlets, no gevent or coopconc imported:

# %%
import contextvars

import greenlet

request = contextvars.ContextVar("request", default="none")
seen = []


def handler(name):
    request.set(name)  # set in this greenlet's own context
    greenlet.getcurrent().parent.switch()  # let the other handler run and set its own
    seen.append((name, request.get()))


a, b = greenlet.greenlet(handler), greenlet.greenlet(handler)
a.switch("A")
b.switch("B")
a.switch()
b.switch()
print("each handler still sees its own value:", seen)
print("the main greenlet's value is untouched:", request.get())

# %% [markdown]
# ## How coopconc does it

# %%
import inspect

import coopconc.local

print(inspect.getsource(coopconc.local._dict))
print(inspect.getsource(coopconc.local._new_dict))

# %% [markdown]
# Three things to notice:
#
# 1. The table is keyed by `id(greenlet)`: the lookup on every attribute access is one
#    `getcurrent()` and one dict lookup.
# 2. The first access from a greenlet makes its dict and runs `__init__` again: that is where
#    the per-greenlet defaults come from.
# 3. Two ways out: a `Greenlet` gets a link (`rawlink`) that drops its dict when it finishes,
#    and every greenlet gets a weak reference whose callback drops the dict when the greenlet
#    is freed. Nothing here waits, so `local` never talks to the hub.

# %% [markdown]
# ## Exercises
#
# **1. Per-greenlet counters.** Write `count_calls(names, calls)`: a `local` subclass whose
# `__init__` sets `self.count = 0`; spawn one greenlet per name, each calls `bump()` (which adds
# 1 to `count` and then does `coopconc.sleep(0)`) `calls` times and returns its final count.
# Return the list of the greenlets' results — each should equal `calls`, not the total.

# %%
import coopconc
from coopconc.local import local


def count_calls(names, calls):
    # replace this stub with your answer
    return []

# %%
import coopconc

fn = globals().get("count_calls")
if fn is None:
    print("define count_calls first (run your answer cell)")
else:
    cases = [((["a", "b"], 3), [3, 3]), ((["x", "y", "z"], 1), [1, 1, 1])]
    passed = 0
    for args, expected in cases:
        with coopconc.virtual_clock():
            got = fn(*args)
        ok = got == expected
        passed += ok
        print(f"count_calls{args}: {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **2. A current-user proxy.** Write `serve(users)`: for each user spawn a handler that stores
# the user in a `local`, sleeps 0.1 s, then returns `greet()`, where `greet()` (a function with
# no arguments) reads the user from the local and returns `f"hello {user}"`. Return the
# handlers' results in order.

# %%
import coopconc
from coopconc.local import local


def serve(users):
    # replace this stub with your answer
    return []

# %%
import coopconc

fn = globals().get("serve")
if fn is None:
    print("define serve first (run your answer cell)")
else:
    cases = [(["ann", "bob"], ["hello ann", "hello bob"]), ([], [])]
    passed = 0
    for users, expected in cases:
        with coopconc.virtual_clock():
            got = fn(users)
        ok = got == expected
        passed += ok
        print(f"serve({users}): {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")
