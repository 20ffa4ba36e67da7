# %% [markdown]
# # 06 · Spawning and state — 创建Greenlets, Greenlet状态, 程序停止 (creating greenlets, greenlet state, program shutdown)
#
# **Source:** part *Gevent → 核心部分*, the sections **创建Greenlets** (creating greenlets),
# **Greenlet状态** (greenlet state) and **程序停止** (program shutdown). The code listings were
# lost (`执行结果:` alone); the list of state flags survived. The examples below re-create what
# the sections describe, in their order.
#
# After this notebook you can:
# - create greenlets three ways: `Greenlet(fn, ...)` + `start()`, `spawn(fn, ...)`, and a
#   subclass that overrides `_run`;
# - read a greenlet's state from `started`, `ready()`, `successful()`, `value`, `exception`,
#   `dead` — and from its `repr`;
# - react to a greenlet's end with `link`, stop greenlets with `kill`/`killall`, and shut a
#   program down cleanly when it receives `SIGQUIT`.

# %% [markdown]
# ## Creating greenlets
#
# There are three common spellings. `Greenlet(fn, *args)` makes a greenlet that has not started;
# `start()` asks the hub to run it on its next turn. `Greenlet.spawn(fn, *args)` and
# `coopconc.spawn(fn, *args)` do both at once. Whatever `fn` returns is kept in `value`.
#
# Look at the times (virtual, so exact): all three start at t=0, each prints after its own
# sleep, and the lambda, which never waits, is done first.

# %%
import coopconc
from coopconc import Greenlet


def foo(message, n):
    coopconc.sleep(n)
    print(f"t={coopconc.now():.0f} {message}")


with coopconc.virtual_clock():
    thread1 = Greenlet(foo, "Hello", 1)
    thread1.start()
    thread2 = Greenlet.spawn(foo, "I live!", 2)
    thread3 = coopconc.spawn(lambda x: x + 1, 2)
    coopconc.joinall([thread1, thread2, thread3])
    print("thread3.value =", thread3.value)

# %% [markdown]
# ### A subclass that overrides `_run`
#
# For a greenlet with state of its own, subclass `Greenlet` and put the work in `_run` (not
# `run`: `run` is coopconc's wrapper that calls `_run` and records its result). Call
# `Greenlet.__init__` first. The `repr` shows the class name, `_run`, and the state.

# %%
import coopconc
from coopconc import Greenlet


class MyGreenlet(Greenlet):
    def __init__(self, message, n):
        Greenlet.__init__(self)
        self.message = message
        self.n = n

    def _run(self):
        print(self.message)
        coopconc.sleep(self.n)
        return f"slept {self.n}s"


with coopconc.virtual_clock():
    g = MyGreenlet("Hi there!", 3)
    g.name = "my-greenlet"
    print(repr(g))
    g.start()
    g.join()
    print(repr(g))
    print(f"finished at t={coopconc.now():.0f}")

# %% [markdown]
# ## Greenlet state: a winner and a loser
#
# The source lists five flags. Here they are on two greenlets, `winner` (returns a value) and
# `loser` (raises), read at three moments: before `start()`, just after it (the hub has not run
# them yet), and after both finished. `dead` is added because it is the flag people reach for
# first.
#
# What to look for:
# - `started` is True only *between* `start()` and the end: once a greenlet has finished it is
#   False again (gevent's meaning, not the source's — see Errata);
# - the loser's exception did not escape: `joinall` returned normally, the exception is kept
#   in `loser.exception`, and `loser.value` is None;
# - the `repr` says all of it in one line.
#
# The loser's traceback is printed by the hub, as gevent does; this cell catches that text in
# `hub.exception_stream` and shows its last line, and the next cell shows it on stderr.

# %%
import io

import coopconc


def win():
    return "You win!"


def fail():
    raise Exception("You fail at failing.")


def flags(g):
    return (
        f"started={g.started!s:5} ready={g.ready()!s:5} successful={g.successful()!s:5} "
        f"dead={g.dead!s:5} value={g.value!r} exception={g.exception!r}"
    )


hub = coopconc.get_hub()
hub.exception_stream = caught = io.StringIO()  # where the hub prints greenlets' tracebacks
try:
    winner = coopconc.Greenlet(win)
    loser = coopconc.Greenlet(fail)
    winner.name, loser.name = "winner", "loser"
    for moment in ("before start()", "after start()", "after joinall()"):
        if moment == "after start()":
            winner.start()
            loser.start()
        if moment == "after joinall()":
            try:
                coopconc.joinall([winner, loser])
            except Exception:
                print("This will never be reached")
        print(f"{moment}:")
        for g in (winner, loser):
            print(f"  {g!r}")
            print(f"    {flags(g)}")
finally:
    hub.exception_stream = None
print("the hub printed a traceback ending in:", caught.getvalue().splitlines()[-2])

# %% [markdown]
# ### The exception stays inside its greenlet
#
# Without the capture, the traceback goes to stderr (the pink block below) and the program
# carries on. The last line names the greenlet that died. `get()` is how another greenlet asks
# for the result: it returns the value, or re-raises the exception *in the caller*.

# %%
import coopconc


def fail():
    raise Exception("You fail at failing.")


loser = coopconc.Greenlet(fail)
loser.name = "loser"
loser.start()
loser.join()
print("still running after the loser died:", repr(loser))

# %% [markdown]
# `get()` on each: the winner's value comes back, the loser's exception is raised again here,
# where we can catch it.

# %%
import io

import coopconc

hub = coopconc.get_hub()
hub.exception_stream = io.StringIO()  # keep the loser's traceback out of this cell's output
try:
    winner = coopconc.spawn(lambda: "You win!")
    loser = coopconc.spawn(lambda: 1 / 0)
    coopconc.joinall([winner, loser])
finally:
    hub.exception_stream = None
print("winner.get() ->", winner.get())
try:
    loser.get()
except ZeroDivisionError as exc:
    print("loser.get() raised", repr(exc))

# %% [markdown]
# ## The picture: every state over time
#
# Five greenlets, watched by an observer that writes down each one's `state()` every half
# second (at t = 0.25, 0.75, ..., so never at the same instant as a change). `winner` returns
# at t=1, `loser` raises at t=2, `sleeper` would sleep forever but is killed at t=3, `late` is
# started with `spawn_later(1.5, ...)`, and `unstarted` is never started. Each row is drawn
# from the recorded states: the colour tells where that greenlet was in its life.

# %%
import io

import matplotlib.pyplot as plt

import coopconc


def win():
    coopconc.sleep(1)
    return "You win!"


def fail():
    coopconc.sleep(2)
    raise Exception("You fail at failing.")


def nap(seconds):
    coopconc.sleep(seconds)


def named(g, name):
    g.name = name
    return g


hub = coopconc.get_hub()
hub.exception_stream = io.StringIO()  # the loser's traceback is not the point here
samples = []  # (time, name, state)
try:
    with coopconc.virtual_clock():
        watched = [
            named(coopconc.spawn(win), "winner"),
            named(coopconc.spawn(fail), "loser"),
            named(coopconc.spawn(nap, 1000), "sleeper"),
            named(coopconc.spawn_later(1.5, nap, 1), "late"),
            named(coopconc.Greenlet(nap, 1), "unstarted"),
        ]

        def observe():
            coopconc.sleep(0.25)
            for _ in range(8):
                samples.extend((coopconc.now(), g.name, g.state()) for g in watched)
                coopconc.sleep(0.5)

        observer = coopconc.spawn(observe)
        coopconc.sleep(3)
        watched[2].kill()
        observer.join()
finally:
    hub.exception_stream = None


def category(state):
    return "dead: returned a value" if state.startswith("dead: returned") else state


print("states seen:", list(dict.fromkeys(category(state) for _t, _name, state in samples)))

colours = {
    "not started": "#d9d9d9",
    "pending start": "#ffe699",
    "blocked on sleep": "#9dc3e6",
    "dead: returned a value": "#70ad47",
    "dead: raised Exception": "#c00000",
    "dead: killed": "#7f6000",
}
names = [g.name for g in watched]
fig, ax = plt.subplots(figsize=(9, 3.2))
for t, name, state in samples:
    colour = colours.get(category(state), "white")
    ax.barh(names.index(name), 0.5, left=t - 0.25, color=colour, edgecolor="w")
for kind, colour in colours.items():
    ax.barh(0, 0, color=colour, label=kind)
ax.set_yticks(range(len(names)))
ax.set_yticklabels(names)
ax.invert_yaxis()
ax.set_xlabel("virtual time (s)")
ax.set_title("what state() said, every half second")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("06_states.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## Being told when a greenlet ends: links
#
# Instead of waiting in `join`, you can ask to be called back when a greenlet ends.
# `link(fn)` calls `fn(greenlet)` whatever the outcome; `link_value(fn)` only if it returned,
# `link_exception(fn)` only if it raised. Each callback runs in a greenlet of its own, after
# the linked greenlet has died. Look at which callbacks fire for which greenlet.

# %%
import io

import coopconc


def on_end(g):
    print(f"link           : {g.name} ended, {g.state()}")


def on_value(g):
    print(f"link_value     : {g.name} returned {g.value!r}")


def on_exception(g):
    print(f"link_exception : {g.name} raised {g.exception!r}")


def fail():
    raise ValueError("no luck")


hub = coopconc.get_hub()
hub.exception_stream = io.StringIO()  # the loser's traceback was shown above
try:
    winner = coopconc.Greenlet(lambda: "You win!")
    loser = coopconc.Greenlet(fail)
    winner.name, loser.name = "winner", "loser"
    for g in (winner, loser):
        g.link(on_end)
        g.link_value(on_value)
        g.link_exception(on_exception)
        g.start()
    coopconc.joinall([winner, loser])
    coopconc.sleep(0)  # let the link callbacks (greenlets of their own) run
finally:
    hub.exception_stream = None

# %% [markdown]
# ## Stopping greenlets: `kill` and `killall`
#
# `kill()` raises `GreenletExit` inside the greenlet, wherever it is waiting, and (by default)
# waits until it is dead. `GreenletExit` is not an error: the greenlet counts as successful,
# and its `value` is the `GreenletExit` instance. Its `finally` blocks run, so it can clean up.
# A greenlet killed before it ever ran simply never runs.
#
# Look at: the cleanup lines, the state after the kill, and `never` not printing anything.

# %%
import coopconc


def worker(name):
    try:
        print(f"{name}: working")
        coopconc.sleep(1000)
    finally:
        print(f"{name}: cleaning up")


with coopconc.virtual_clock():
    one = coopconc.Greenlet(worker, "one")
    one.name = "one"
    one.start()
    coopconc.sleep(1)
    print(repr(one))
    one.kill()
    print(repr(one))
    print(f"  successful={one.successful()} value={one.value!r} exception={one.exception}")

    never = coopconc.Greenlet(worker, "never")
    never.name = "never"
    never.start()
    never.kill()  # before the hub had a turn to start it
    print(repr(never))

    crew = [coopconc.spawn(worker, f"crew-{i}") for i in range(3)]
    coopconc.sleep(1)
    coopconc.killall(crew)
    print("after killall, all dead:", all(g.dead for g in crew), f"at t={coopconc.now():.0f}")

# %% [markdown]
# ## Program shutdown on `SIGQUIT`
#
# The source's point: a program whose greenlets sleep or wait forever needs a way to be told
# to stop. The usual pattern is to catch `SIGQUIT` (sent by `kill -QUIT pid`, or Ctrl-\ in a
# terminal) and kill the greenlets, so their `finally` blocks run and the program exits with
# status 0. `coopconc.signal_handler(signal.SIGQUIT, fn)` runs `fn` in a greenlet of its own
# when the signal arrives — so `fn` may block, e.g. in `kill()`.
#
# A signal sent to this notebook would hit the Jupyter kernel, so the program runs as a
# **child process**: the cell writes it to a temporary file, starts it, waits (at most 30 s)
# until it says it is running, sends *it* `SIGQUIT`, and prints what it wrote and how it
# exited. Nothing can hang: if the child does not exit within 10 s it is killed. (A process
# started in the background by a shell inherits `SIGQUIT` *ignored*; the programs below set
# the signal's disposition themselves first, so they behave the same however Jupyter was
# started.)

# %%
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap

PROGRAM = textwrap.dedent(
    """
    import signal

    import coopconc

    signal.signal(signal.SIGQUIT, signal.SIG_DFL)  # not inherited "ignored" from a background job

    def run_forever():
        print("worker: running, will sleep for 1000 seconds", flush=True)
        try:
            coopconc.sleep(1000)
        finally:
            print("worker: cleaning up", flush=True)


    def shutdown():
        print("handler: got SIGQUIT, killing the worker", flush=True)
        worker.kill()


    coopconc.signal_handler(signal.SIGQUIT, shutdown)
    worker = coopconc.spawn(run_forever)
    worker.name = "worker"
    worker.join()
    print("main: the worker is", worker.state())
    print("main: exiting cleanly")
    """
)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "server.py")
    with open(path, "w") as f:
        f.write(PROGRAM)
    child = subprocess.Popen(
        [sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ready, _, _ = select.select([child.stdout], [], [], 30)
    first_line = child.stdout.readline() if ready else ""  # the worker runs: handler installed
    child.send_signal(signal.SIGQUIT)  # to the child only, never to this kernel
    try:
        rest, errors = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()  # never leave it running
        rest, errors = child.communicate()
        errors += "(did not exit within 10 s of SIGQUIT: killed)"

print("the child printed:")
for line in (first_line + rest).splitlines():
    print("   ", line)
print("its stderr:", repr(errors))
print("its exit status:", child.returncode)

# %% [markdown]
# The same program **without** `signal_handler`, for comparison. `SIGQUIT`'s default action
# kills the process at once (and would write a core dump; the program switches core dumps off
# for itself). The exit status is minus the signal number, and the worker's `finally` block
# never ran.

# %%
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap

PROGRAM = textwrap.dedent(
    """
    import resource
    import signal

    import coopconc

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGQUIT would write a core dump: none
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)  # the default action, even if started ignored


    def run_forever():
        print("worker: running, will sleep for 1000 seconds", flush=True)
        try:
            coopconc.sleep(1000)
        finally:
            print("worker: cleaning up", flush=True)


    coopconc.spawn(run_forever).join()
    print("main: exiting cleanly")
    """
)


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "server.py")
    with open(path, "w") as f:
        f.write(PROGRAM)
    child = subprocess.Popen(
        [sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ready, _, _ = select.select([child.stdout], [], [], 30)
    first_line = child.stdout.readline() if ready else ""
    child.send_signal(signal.SIGQUIT)
    try:
        rest, errors = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()  # never leave it running
        rest, errors = child.communicate()

print("the child printed:")
for line in (first_line + rest).splitlines():
    print("   ", line)
print("its exit status:", child.returncode, f"(killed by {signal.Signals(-child.returncode).name})")

# %% [markdown]
# ## Errata
#
# - **`gevent.shutdown` does not exist.** The source says the usual pattern is to "call
#   `gevent.shutdown` to exit". There is no such function in gevent 1.0 or later (nor in
#   coopconc). Install a handler with `signal_handler(signal.SIGQUIT, ...)` and kill your
#   greenlets (or `sys.exit()` from the main greenlet), as above.
# - **The tutorial's one-liner is broken.** The example this section follows registered
#   `gevent.signal(signal.SIGQUIT, gevent.kill)`. `gevent.signal` is now a *module* (the
#   function is `gevent.signal_handler`), and `gevent.kill` needs the greenlet to kill as an
#   argument, so the handler would fail with `TypeError` when the signal came.
# - **"Zombie process" is the wrong word.** A zombie is a process that has *exited* but whose
#   parent has not yet collected its exit status. A program stuck because a greenlet never
#   yields is alive and hung — kill it from outside with `SIGKILL`.
# - **`started` does not mean "has started".** The source defines it as "whether this Greenlet
#   has been started". In gevent (and coopconc) it is True from `start()` *until the greenlet
#   finishes*, then False again (see the winner/loser table). Use `ready()` or `dead` to ask
#   whether it has finished.
# - **A killed greenlet is "successful".** `successful()` is described as "stopped without an
#   exception"; `GreenletExit` does not count as one: after `kill()`, `successful()` is True,
#   `exception` is None and `value` holds the `GreenletExit`.

# %% [markdown]
# ## How coopconc does it
#
# `Greenlet.run` is where every greenlet's life happens: it calls `_run`, and records either
# the result or the exception. `_report_error` is why an exception stays in its greenlet, and
# `kill` shows how the exception is delivered.

# %%
import inspect

from coopconc import Greenlet

print(inspect.getsource(Greenlet.run))
print(inspect.getsource(Greenlet._report_error))
print(inspect.getsource(Greenlet.kill))

# %% [markdown]
# Three things to notice:
#
# 1. `run` catches *everything* `_run` raises (`except:`), so no exception ever propagates out
#    of a greenlet into the hub or into whoever started it. It is stored in `_exc_info`, and
#    `get()` re-raises it later, in the greenlet that asks.
# 2. `_report_error` treats `GreenletExit` as a *result*: a killed greenlet is recorded as
#    successful, with the exception as its value. Any other exception is passed to
#    `hub.handle_error`, which prints the traceback — the stderr block above.
# 3. `kill` does not throw the exception itself: it queues a hub callback that does
#    (`greenlet.throw`), then waits like any other blocking call. A greenlet that never ran is
#    simply marked dead (`_maybe_kill_before_start`), which is why `never` printed nothing.

# %% [markdown]
# ## Exercises
#
# **1. Describe a greenlet.** Write `describe(g)` returning one of the strings `"not started"`,
# `"running or waiting"`, `"returned <value>"` (with `repr` of the value), `"raised <Name>"`
# (the exception's class name) or `"killed"`, using only the public flags (`started`,
# `ready()`, `successful()`, `value`, `exception`) — not `state()` or `repr`.

# %%
import coopconc


def describe(g):
    # replace this stub with your answer
    return "?"

# %%
import io

import coopconc

fn = globals().get("describe")
if fn is None:
    print("define describe first (run your answer cell)")
else:
    hub = coopconc.get_hub()
    hub.exception_stream = io.StringIO()
    try:
        with coopconc.virtual_clock():
            fresh = coopconc.Greenlet(coopconc.sleep, 1)
            sleeping = coopconc.spawn(coopconc.sleep, 10)
            returned = coopconc.spawn(lambda: 42)
            raised = coopconc.spawn(lambda: {}["missing"])
            killed = coopconc.spawn(coopconc.sleep, 10)
            coopconc.sleep(1)
            killed.kill()
            cases = [
                (fresh, "not started"),
                (sleeping, "running or waiting"),
                (returned, "returned 42"),
                (raised, "raised KeyError"),
                (killed, "killed"),
            ]
            passed = 0
            for g, expected in cases:
                got = fn(g)
                passed += got == expected
                print(f"{expected:20} {'ok' if got == expected else f'FAIL, got {got!r}'}")
            print(f"{passed}/{len(cases)} passed")
            sleeping.kill()
    finally:
        hub.exception_stream = None

# %% [markdown]
# **2. First to finish wins.** Write `race(functions)` that spawns one greenlet per function,
# waits until the *first* one finishes successfully, kills the others, and returns the
# winner's value. Hint: `coopconc.iwait` yields greenlets as they finish, or use `link_value`.

# %%
import coopconc


def race(functions):
    # replace this stub with your answer
    return None

# %%
import coopconc

fn = globals().get("race")
if fn is None:
    print("define race first (run your answer cell)")
else:

    def after(seconds, value):
        def job():
            coopconc.sleep(seconds)
            return value

        return job

    cases = [  # (functions, expected value, when the race should end)
        ([after(3, "slow"), after(1, "fast"), after(2, "middle")], "fast", 1.0),
        ([after(0.5, "only")], "only", 0.5),
        ([after(2, "b"), after(1.5, "a")], "a", 1.5),
    ]
    passed = 0
    for functions, expected, ends in cases:
        with coopconc.virtual_clock():
            start = coopconc.now()
            got = fn(functions)
            took = coopconc.now() - start
            coopconc.sleep(5)  # the losers, if they were not killed, would finish by now
        ok = got == expected and abs(took - ends) < 1e-9
        passed += ok
        verdict = "ok" if ok else f"FAIL, got {got!r} after {took:.1f}s"
        print(f"expected {expected!r:9} after {ends:.1f}s: {verdict}")
    print(f"{passed}/{len(cases)} passed")
