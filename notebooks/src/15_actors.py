# %% [markdown]
# # 15 · Actors — Actors (the actor model)
#
# **Source:** part *Gevent → 数据结构* (data structures), the last section, **Actors**: *"the
# actor model is a higher-level concurrency model made popular by Erlang ... many independent
# actors, each with an inbox that receives messages from other actors; the main loop inside
# the actor iterates over its messages and acts on them. gevent has no native Actor type, but
# with a Queue inside a subclassed Greenlet we can define a very simple one."*
#
# After this notebook you can:
# - write an actor: a greenlet with an inbox and a `receive(message)` method;
# - make two actors talk (ping/pong) and stop them cleanly;
# - notice that an actor crashed (`link_exception`), and let a `Supervisor` restart it
#   without losing the messages waiting for it.

# %% [markdown]
# ## The source's actor, in Python 3
#
# Here is the source's idea as it stands: a `Greenlet` subclass whose `_run` loops forever,
# taking a message from its `Queue` inbox and passing it to `receive`. Two subclasses play
# ping/pong: each prints what it got and puts the answer into the other's inbox. The source's
# version plays forever; this one counts rounds and stops after four, by clearing the
# `running` flag that the loop checks.

# %%
import coopconc
from coopconc import Greenlet
from coopconc.queue import Queue


class Actor(Greenlet):
    def __init__(self, name):
        self.inbox = Queue()
        Greenlet.__init__(self)
        self.name = name

    def receive(self, message):
        raise NotImplementedError()

    def _run(self):
        self.running = True
        while self.running:
            message = self.inbox.get()
            self.receive(message)


class Pinger(Actor):
    def receive(self, message):
        print(self.name, "got", message)
        if message == "stop":
            self.running = False
            return
        pong.inbox.put("ping")
        coopconc.sleep(0)


class Ponger(Actor):
    rounds = 0

    def receive(self, message):
        print(self.name, "got", message)
        self.rounds += 1
        if self.rounds == 4:  # the source never stops; we do, after four rounds
            self.running = False
            ping.inbox.put("stop")
            return
        ping.inbox.put("pong")
        coopconc.sleep(0)


ping = Pinger("ping")
pong = Ponger("pong")
ping.start()
pong.start()
ping.inbox.put("start")
coopconc.joinall([ping, pong])
print("both finished:", ping.dead and pong.dead)

# %% [markdown]
# ## coopconc's `Actor`
#
# `coopconc.actor.Actor` is the same idea with the rough edges filed off: `send(message)` (or
# `inbox.put`), a counter of handled messages, a repr that shows the state and the inbox, and
# `stop()`, which lets the actor **finish the message in hand and then end** — messages still
# in the inbox stay there. Below, a slow printer gets three messages; it is stopped while it
# works on the first one.

# %%
import coopconc
from coopconc.actor import Actor


class SlowPrinter(Actor):
    def receive(self, message):
        print(f"t={coopconc.now():.0f} {self.name} starts on {message!r}")
        coopconc.sleep(2)
        print(f"t={coopconc.now():.0f} {self.name} done with {message!r}")


with coopconc.virtual_clock():
    printer = SlowPrinter(name="printer")
    printer.start()
    for message in ["first", "second", "third"]:
        printer.send(message)
    coopconc.sleep(1)
    print(f"t={coopconc.now():.0f}", printer)
    printer.stop()  # waits until it has ended
    print(f"t={coopconc.now():.0f}", printer, "| handled:", printer.handled)

# %% [markdown]
# ## Ping/pong with coopconc's Actor, and its timeline
#
# Each player knows its partner, answers with the next number, and after the last round stops
# its partner and itself. The timeline shows the hand-over: one actor runs while the other
# sits in `Queue.get` — waiting on its own inbox. Nobody shares anything; they only send.

# %%
import matplotlib.pyplot as plt

import coopconc
from coopconc.actor import Actor
from coopconc.trace import Tracer


class Player(Actor):
    def receive(self, message):
        word, n = message
        print(f"{self.name} got {word} {n}")
        coopconc.sleep(0.5)  # think a little
        if n < 5:
            self.partner.send(("pong" if word == "ping" else "ping", n + 1))
        else:
            self.partner.stop(block=False)
            self.stop()


with coopconc.virtual_clock(), Tracer() as tracer:
    ping, pong = Player(name="ping"), Player(name="pong")
    ping.partner, pong.partner = pong, ping
    ping.start()
    pong.start()
    ping.send(("ping", 0))
    coopconc.joinall([ping, pong])
    print("done at t =", coopconc.now(), "| handled:", ping.handled, pong.handled)

fig = tracer.timeline(title="ping/pong: each actor waits on its own inbox (Queue.get)").figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("15_ping_pong.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## When an actor crashes
#
# If `receive` raises, the actor dies of that exception like any greenlet, and the messages
# still in its inbox would wait forever. Someone must notice. A greenlet *link* does that:
# `actor.link_exception(callback)` calls `callback(actor)` — in a new greenlet — when the
# actor dies of an exception. (The dead greenlet also prints its traceback on the hub's
# `exception_stream`; we catch it in a `StringIO` to keep the output short and show its last
# line.)

# %%
import io

import coopconc
from coopconc.actor import Actor


class Divider(Actor):
    def receive(self, message):
        print(f"{self.name}: 100 / {message} = {100 / message:g}")


hub = coopconc.get_hub()
hub.exception_stream = report = io.StringIO()
try:
    worker = Divider(name="divider")
    worker.link_exception(lambda dead: print(f"noticed: {dead.name} died of {dead.exception!r}"))
    worker.start()
    for message in [4, 0, 5]:
        worker.send(message)
    coopconc.sleep(0.01)
finally:
    hub.exception_stream = None
print(worker, "| messages left:", worker.inbox.qsize())
print("the hub's report ended with:", report.getvalue().strip().splitlines()[-1])

# %% [markdown]
# ## A supervisor
#
# Erlang's answer is the *supervisor*: an actor whose job is to watch others and restart the
# ones that crash. `coopconc.actor.Supervisor` is a small one: `spawn(factory, ...)` makes and
# starts an actor and links to it. When it crashes, the supervisor records the crash, calls
# `on_crash`, and starts a fresh actor from the same factory — **handing it the dead one's
# inbox**, so the waiting messages are handled, and messages sent later through the old
# actor's `send` still arrive. Only the message that caused the crash is lost. After
# `max_restarts` restarts it gives up (a crash loop should not spin forever).

# %%
import io

import coopconc
from coopconc.actor import Actor, Supervisor


class Divider(Actor):
    def receive(self, message):
        print(f"  {self.name} #{self.generation}: 100 / {message} = {100 / message:g}")


generations = iter(range(1, 100))


def make_divider():
    d = Divider(name="divider")
    d.generation = next(generations)
    return d


hub = coopconc.get_hub()
hub.exception_stream = io.StringIO()
try:
    sup = Supervisor(
        max_restarts=2,
        on_crash=lambda dead, exc: print(f"supervisor: divider #{dead.generation} crashed: {exc!r}"),
    )
    first = sup.spawn(make_divider)
    for message in [4, 0, 5, 0, 2, 0, 1]:
        first.send(message)  # always through the first actor: the inbox outlives it
    coopconc.sleep(0.01)
finally:
    hub.exception_stream = None
print(sup)
print("crashes:", [(name, type(exc).__name__) for name, exc in sup.crashes])
print("restarts:", sup.restarts, "| the last one:", sup["divider"], "| left:", sup["divider"].inbox.qsize())

# %% [markdown]
# ## Errata
#
# - **The code was lost**, only its description remains (`下面是一个使用的例子:` — "here is an
#   example of use:" — with nothing after it). The first cell re-creates the well-known
#   version.
# - **`raise NotImplemented()`** in the original is wrong: `NotImplemented` is a constant for
#   comparison methods, not an exception; calling it is a `TypeError`. The abstract method
#   must `raise NotImplementedError()`.
# - **The original ping/pong never ends**, and its `running` flag is set but never cleared.
#   Both versions here stop: by the flag, or with `stop()`.
# - **An actor model needs failure handling** to be useful — the source stops before it. An
#   actor that dies silently leaves its inbox to fill up forever; links and a supervisor make
#   the crash visible and recoverable.

# %% [markdown]
# ## How coopconc does it
#
# The whole actor is its run loop, `stop()`, and a supervisor that is nothing but a link.

# %%
import inspect

from coopconc.actor import Actor, Supervisor

print(inspect.getsource(Actor._run))
print(inspect.getsource(Actor.stop))
print(inspect.getsource(Supervisor._crashed))

# %% [markdown]
# Three things to notice:
#
# 1. An idle actor is simply a greenlet parked in `inbox.get()` — the hub's one waiting path
#    with the reason `Queue.get`; it costs no CPU and shows up under that name in the tracer
#    and in deadlock reports.
# 2. `stop()` never interrupts `receive`: it clears `running`, which the loop checks between
#    messages, and only if the actor is idle does it put a private wake-up message in the
#    inbox. Killing an actor instead would raise `GreenletExit` in the middle of a message.
# 3. `Supervisor._crashed` runs in a greenlet of its own (a `link_exception` callback), so it
#    may do anything, including start the replacement; `fresh.inbox = actor.inbox` is the
#    whole trick that keeps the messages.

# %% [markdown]
# ## Exercises
#
# **1. A counter actor.** Write a class `Counter(Actor)` whose `receive` handles two kinds of
# message: `("add", n)` adds `n` to its total, and `("get", result)` sets the
# `coopconc.event.AsyncResult` `result` to the current total. The check sends messages and
# reads the total through an `AsyncResult`.

# %%
import coopconc
from coopconc.actor import Actor
from coopconc.event import AsyncResult


class Counter(Actor):
    # replace this stub with your answer
    pass

# %%
import io

import coopconc
from coopconc.event import AsyncResult

cls = globals().get("Counter")
if cls is None:
    print("define Counter first (run your answer cell)")
else:
    cases = [[1, 2, 3], [], [10, -4]]
    passed = 0
    coopconc.get_hub().exception_stream = io.StringIO()  # a crashing answer stays quiet
    for numbers in cases:
        with coopconc.virtual_clock():
            counter = cls()
            counter.start()
            for n in numbers:
                counter.send(("add", n))
            result = AsyncResult()
            counter.send(("get", result))
            try:
                got = result.get(timeout=1)
            except coopconc.Timeout:
                got = "no answer within 1 second"
            except Exception as ex:
                got = ex
            counter.stop(timeout=1)
        ok = got == sum(numbers)
        passed += ok
        print(f"adding {numbers}: {'ok' if ok else f'FAIL, expected {sum(numbers)}, got {got!r}'}")
    coopconc.get_hub().exception_stream = None
    print(f"{passed}/{len(cases)} passed")

# %% [markdown]
# **2. Crash and carry on.** Write `survive(messages)`: start a supervised actor (use
# `Supervisor(max_restarts=10)`) whose `receive` appends `100 // message` to a list — so a `0`
# crashes it — send it all `messages`, wait until its inbox is empty, stop everything, and
# return `(results, number_of_crashes)`. (Set `coopconc.get_hub().exception_stream` to an
# `io.StringIO()` to keep the crash reports quiet.)

# %%
import io

import coopconc
from coopconc.actor import Actor, Supervisor


def survive(messages):
    # replace this stub with your answer
    return ([], 0)

# %%
import coopconc

fn = globals().get("survive")
if fn is None:
    print("define survive first (run your answer cell)")
else:
    cases = [([1, 0, 2], ([100, 50], 1)), ([0, 0, 5], ([20], 2)), ([4], ([25], 0))]
    passed = 0
    for messages, expected in cases:
        got = fn(messages)
        coopconc.get_hub().exception_stream = None
        ok = got == expected
        passed += ok
        print(f"survive({messages}): {'ok' if ok else f'FAIL, expected {expected}, got {got}'}")
    print(f"{passed}/{len(cases)} passed")
