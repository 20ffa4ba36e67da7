# %% [markdown]
# # 03 · Event loops — 异步: select, poll, epoll (asynchronous I/O) and 基于libev的快速事件循环 (a fast event loop)
#
# **Source:** part *前述 → 进程 线程 协程 异步*, the line **"异步编程在linux下主要有三种实现
# select, poll, epoll"** (on Linux, asynchronous programming rests on select, poll and epoll),
# and part *Gevent → 介绍*, the bullet **"基于libev的快速事件循环 (Linux上epoll, FreeBSD上kqueue)"**
# (a fast event loop based on libev: epoll on Linux, kqueue on FreeBSD). The source only names
# these mechanisms; this notebook builds an event loop from them in front of you, in the
# order of the "500 Lines or Less" web-crawler chapter: blocking code first, then `select`,
# then callbacks, then timers.
#
# After this notebook you can:
# - say why a blocking server serves one client at a time, and fix it with `select`;
# - build a small event loop (readers + timers) on `selectors` and read coopconc's hub as the
#   same loop with greenlets on top;
# - explain, with numbers measured here, why a loop watching many sockets uses epoll and
#   not select.

# %% [markdown]
# ## Step 0: blocking code serves one client at a time
#
# An echo server written the obvious way: `accept` a client, then `recv` from it until it is
# done. Every call *blocks*: the thread sleeps inside the kernel until the call can finish.
#
# Below, clients A and B both connect and both send a line. The server takes A first; after
# echoing A's line it waits in `recv` for A's *next* line -- and there it sits. B's line has
# been in the kernel's buffer all along, but the server cannot look at it while it is asleep
# in A's `recv`. (The 0.2 s timeout is only there so that this cell ends.)

# %%
import socket

server = socket.create_server(("127.0.0.1", 0))
a = socket.create_connection(server.getsockname())
b = socket.create_connection(server.getsockname())
a.sendall(b"line from A\n")
b.sendall(b"line from B\n")

conn, _ = server.accept()  # A, first in the queue
conn.sendall(conn.recv(100))
print("A got back:", a.recv(100))
conn.settimeout(0.2)
try:
    conn.recv(100)  # A has nothing more to say: the server waits here, and only here
except TimeoutError:
    print("server: still stuck waiting for A after 0.2 s; B's line is waiting, unread")

for s in (conn, a, b, server):
    s.close()

# %% [markdown]
# The classic ways out are a thread (or a process) per client -- and notebook 01 measured
# what those cost. The other way out is to never call anything that might block: ask the
# kernel first *which* sockets are ready, and only touch those.

# %% [markdown]
# ## Step 1: `select` -- one call watches many sockets
#
# `select.select(rlist, wlist, xlist, timeout)` takes lists of sockets and returns the ones
# that are ready: readable (data, a new connection, or end-of-stream) or writable. It is the
# only call that waits. A server built on it keeps a list of sockets to watch (the listener
# plus every client) and goes round:
#
# 1. `select` on all of them;
# 2. the listener is readable → `accept` (can't block now), add the client to the list;
# 3. a client is readable → `recv` (can't block now) and echo it.
#
# Watch the log: three clients are served *interleaved*, in the order the kernel reports
# them, by one thread that never sleeps while there is work.

# %%
import select
import socket

listener = socket.create_server(("127.0.0.1", 0))
listener.setblocking(False)
clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
for i, c in enumerate(clients):
    c.sendall(f"hello from client {i}".encode())

watched = [listener]
names = {}
echoed = 0
while echoed < 3:
    readable, _, _ = select.select(watched, [], [], 5.0)
    for sock in readable:
        if sock is listener:
            conn, _ = listener.accept()
            conn.setblocking(False)
            names[conn] = f"conn{len(names)}"
            watched.append(conn)
            print(f"listener readable -> accepted {names[conn]}")
        else:
            data = sock.recv(100)
            sock.sendall(data.upper())
            echoed += 1
            print(f"{names[sock]} readable -> echoed {data!r}")

print([c.recv(100) for c in clients])
for s in clients + watched:
    s.close()

# %% [markdown]
# Two things to see in the log. One pass of the loop can serve several sockets. And the
# listener is reported again and again while connections wait in its queue: `select` is
# *level-triggered* -- it tells you a socket is ready for as long as it stays ready.

# %% [markdown]
# ## Step 2: callbacks -- the loop does not need to know what a server is
#
# Step 1 mixes two jobs: *waiting* (the `select` loop) and *what to do* (accept, echo). Split
# them and you get an **event loop**: code registers "when this fd is readable, call this
# function" and the loop does nothing but wait and call. `selectors.DefaultSelector` is the
# standard library's wrapper over the best mechanism of the platform (epoll on Linux); each
# registration carries a piece of data -- here, the callback.
#
# The echo server becomes two small functions, `on_accept` and `on_readable`, each of which
# registers the next callback. This is how asyncio's and Twisted's low levels look.

# %%
import selectors
import socket


class EventLoop:
    """Call a function when a file descriptor becomes readable."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()

    def add_reader(self, sock, callback):
        self.selector.register(sock, selectors.EVENT_READ, callback)

    def remove_reader(self, sock):
        self.selector.unregister(sock)

    def run_once(self, timeout=None):
        for key, _events in self.selector.select(timeout):
            callback = key.data
            callback(key.fileobj)


loop = EventLoop()
log = []


def on_accept(listener):
    conn, _ = listener.accept()
    conn.setblocking(False)
    loop.add_reader(conn, on_readable)
    log.append("accepted a client")


def on_readable(conn):
    data = conn.recv(100)
    if data:
        conn.sendall(b"echo: " + data)
        log.append(f"echoed {data!r}")
    else:
        loop.remove_reader(conn)
        conn.close()
        log.append("a client left")


listener = socket.create_server(("127.0.0.1", 0))
listener.setblocking(False)
loop.add_reader(listener, on_accept)

client = socket.create_connection(listener.getsockname())
loop.run_once(5)  # -> on_accept
client.sendall(b"ping")
loop.run_once(5)  # -> on_readable
print(client.recv(100))
client.close()
loop.run_once(5)  # -> on_readable sees end-of-stream
print(log)
listener.close()
loop.selector.close()

# %% [markdown]
# ## Step 3: timers -- how long may the loop wait?
#
# A loop also has to do things *later*: time out a silent client, retry in a second, wake a
# sleeper. Timers live in a heap ordered by deadline. The one new idea is the `select`
# timeout: wait for I/O, but **no longer than until the earliest timer is due**; after the
# wait, run the timers whose time has come, then the ready fds.
#
# Three timers registered out of order fire in deadline order, and a socket that becomes
# readable in between is handled in between.

# %%
import heapq
import itertools
import selectors
import socket
import time


class EventLoop:
    """Readers and timers: a small relative of every event loop in this course."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.timers = []  # heap of (deadline, sequence, callback)
        self.sequence = itertools.count()  # ties: first registered runs first

    def add_reader(self, sock, callback):
        self.selector.register(sock, selectors.EVENT_READ, callback)

    def remove_reader(self, sock):
        self.selector.unregister(sock)

    def call_later(self, delay, callback):
        heapq.heappush(self.timers, (time.monotonic() + delay, next(self.sequence), callback))

    def run_once(self):
        timeout = None
        if self.timers:
            timeout = max(0.0, self.timers[0][0] - time.monotonic())
        events = self.selector.select(timeout)  # the only place where the loop waits
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, callback = heapq.heappop(self.timers)
            callback()
        for key, _events in events:
            key.data(key.fileobj)

    def run(self):
        while self.timers or self.selector.get_map():
            self.run_once()


loop = EventLoop()
log = []
a, b = socket.socketpair()


def on_data(sock):
    log.append(f"socket readable: {sock.recv(100)!r}")
    loop.remove_reader(sock)


loop.add_reader(a, on_data)
loop.call_later(0.15, lambda: log.append("timer 0.15 s"))
loop.call_later(0.01, lambda: log.append("timer 0.01 s"))
loop.call_later(0.02, lambda: (log.append("timer 0.02 s: sends data"), b.sendall(b"hi")))
loop.run()
print("\n".join(log))
a.close()
b.close()

# %% [markdown]
# That is the whole machine: **callbacks, a heap of timers, one `select` with a timeout**.
# What it lacks is comfort: every function that waits has to be cut in two at the wait
# (`on_accept`, then `on_readable`...). Greenlets remove the cut.

# %% [markdown]
# ## Step 4: the same loop, with greenlets on top
#
# In coopconc the callback registered for an fd is *"switch back into the greenlet that was
# waiting"*. So the waiting code does not have to be cut in two: `conn.recv()` registers the
# fd with the hub, switches to the hub, and returns when the hub switches back with the fd
# ready. The echo server is one straight function again -- but it runs one greenlet per
# client on one thread, like Step 1.

# %%
import coopconc
from coopconc import socket


left = []


def handle(conn, name):
    while data := conn.recv(100):
        conn.sendall(b"echo: " + data)
    left.append(name)
    conn.close()


def serve(listener, count):
    for i in range(count):
        conn, _ = listener.accept()
        coopconc.spawn(handle, conn, f"handler {i}")


def client(address, word):
    with socket.create_connection(address) as sock:
        sock.sendall(word)
        return sock.recv(100)


listener = socket.socket()  # not create_server: gevent.socket.create_server is the blocking stdlib one
listener.bind(("127.0.0.1", 0))
listener.listen()
coopconc.spawn(serve, listener, 3)
asks = [coopconc.spawn(client, listener.getsockname(), w) for w in (b"one", b"two", b"three")]
coopconc.joinall(asks)
print([g.value for g in asks])
coopconc.sleep(0.01)  # the handlers see end-of-stream and finish
print("handlers done:", sorted(left))
listener.close()

# %% [markdown]
# While a greenlet waits in `recv`, the hub knows two things about it: which fd it watches,
# and *why* the greenlet is parked (the reason string the tracer and the deadlock report
# print).

# %%
# coopconc only: the hub's waiting reasons
import coopconc
from coopconc import socket
from coopconc.hub import get_hub, waiting_reason

a, b = socket.socketpair()
reader = coopconc.spawn(a.recv, 100)
coopconc.sleep(0)  # let it start and park
print("the reader is parked in:", waiting_reason(reader))
print("fds the hub watches:", get_hub().waiting_fds() == [a.fileno()])
b.sendall(b"wake up")
print("it got:", reader.get())
print("fds the hub watches now:", get_hub().waiting_fds())
a.close()
b.close()

# %% [markdown]
# ## Step 5: three answers to one problem -- generators, async/await, greenlets
#
# Step 4 wrote the echo server as straight code on greenlets. The same program can be written
# two more ways, and seeing all three side by side shows what each one is.
#
# **Generators and `select`** (David Beazley's "A Curious Course on Coroutines and
# Concurrency"). A task is a generator; where it would block it instead *yields the socket it
# wants to read*. The scheduler is a few lines: run the ready tasks up to their next `yield`,
# park each on the socket it yielded, `select` on the parked sockets, make the readable ones
# ready again. Here it is, built from nothing:

# %%
import select
import socket
from collections import deque

ready = deque()  # tasks that can run now
parked = {}  # socket -> the task waiting for it to become readable


def spawn(task):
    ready.append(task)


def run():
    """The whole scheduler: run tasks until every one has finished."""
    while ready or parked:
        while ready:
            task = ready.popleft()
            try:
                sock = next(task)  # run the task up to its next `yield sock`
            except StopIteration:
                continue  # the task has finished
            parked[sock] = task  # it wants to read sock: park it there
        if parked:
            readable, _, _ = select.select(list(parked), [], [], 5.0)
            if not readable:
                raise TimeoutError("no parked socket became readable within 5 s")
            for sock in readable:
                ready.append(parked.pop(sock))


def handle(conn, name, left):
    while True:
        yield conn  # give way until conn is readable
        data = conn.recv(100)  # cannot block now
        if not data:
            break
        conn.sendall(b"echo: " + data)
    left.append(name)
    conn.close()


def serve(listener, count, left):
    for i in range(count):
        yield listener  # give way until a client connects
        conn, _ = listener.accept()
        spawn(handle(conn, f"handler {i}", left))


def client(address, word, replies):
    sock = socket.create_connection(address)
    sock.sendall(word)
    yield sock  # give way until the echo arrives
    replies[word] = sock.recv(100)
    sock.close()


listener = socket.create_server(("127.0.0.1", 0))
replies, left = {}, []
spawn(serve(listener, 3, left))
for word in (b"one", b"two", b"three"):
    spawn(client(listener.getsockname(), word, replies))
run()
listener.close()
print([replies[w] for w in (b"one", b"two", b"three")])
print("handlers done:", sorted(left))

# %% [markdown]
# **`async`/`await` and asyncio.** Python turned exactly that idea into syntax: an `async def`
# function is a generator-like coroutine, `await` is the `yield` that gives way to the loop,
# and asyncio is the scheduler (on `selectors`, so epoll on Linux). The same server and
# clients:

# %%
import asyncio
import threading


async def handle(reader, writer):
    while data := await reader.read(100):  # await: give way until data arrives
        writer.write(b"echo: " + data)
        await writer.drain()
    writer.close()


async def client(address, word):
    reader, writer = await asyncio.open_connection(*address)
    writer.write(word)
    reply = await reader.read(100)
    writer.close()
    await writer.wait_closed()
    return reply


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    address = server.sockets[0].getsockname()
    async with server:
        asks = asyncio.gather(*(client(address, w) for w in (b"one", b"two", b"three")))
        return await asyncio.wait_for(asks, timeout=5)


# Jupyter's kernel already runs an asyncio loop in this thread, and asyncio.run() refuses to
# start a second one there; so it gets a thread of its own. (In a script, asyncio.run(main()).)
result = []
runner = threading.Thread(target=lambda: result.append(asyncio.run(main())))
runner.start()
runner.join(timeout=10)
print(result[0] if result else "asyncio did not finish within 10 s")

# %% [markdown]
# Three answers to one problem -- "wait for I/O without blocking the thread":
#
# | | generators + `select` | `async`/`await` + asyncio | greenlets + hub (Step 4) |
# |---|---|---|---|
# | where a task may give way | only at `yield`, in the task's own frame | only at `await`, written in the code | at any call that may wait, at any depth |
# | what the functions in between must be | generators (`yield from`) | `async def`, all the way up | ordinary functions |
# | the scheduler | the 20 lines above | asyncio's event loop | coopconc's hub (gevent: libev/libuv) |
# | existing blocking libraries | must be rewritten | must be rewritten (or run in threads) | work after monkey-patching (notebook 08) |
#
# The first two are **explicit**: you can see every place where another task may run. The
# greenlet version is **implicit**: `conn.recv()` looks like a plain call and switches anyway.
# That is gevent's strength (unchanged libraries) and its cost (a switch you did not see);
# notebook 19 weighs the two.

# %% [markdown]
# ## Why the loop uses epoll: what one "anything ready?" costs
#
# An event loop asks its question on every turn. With `select` (and `poll`) the question
# carries the whole list: the program builds it, the kernel checks every descriptor in it,
# and the answer is scanned again -- work proportional to the number of descriptors
# *watched*, even when none is ready. `epoll` keeps the watched set inside the kernel
# (registered once, with `epoll_ctl`); asking is `epoll_wait`, whose work is proportional to
# the number of descriptors *ready*.
#
# `watch_cost` measures it: n idle descriptors (none ready), each mechanism asked with a zero
# timeout, best of five short runs, for n from 10 to 800 (`select` cannot go past descriptor
# number 1024 at all: FD_SETSIZE). The picture carries the measured numbers (they depend on
# this machine and its load); the questions below it have wide margins and the same answers on
# every run.

# %%
# coopconc only: coopconc.bench (gevent has no benchmark module)
import os

import matplotlib.pyplot as plt

from coopconc.bench.io import watch_cost

full = os.environ.get("COOPCONC_FULL") == "1"  # longer timing runs for the full-size figures
rows = watch_cost(seconds=0.005 if full else 0.001)
small, large = rows[0], rows[-1]  # 10 and 800 descriptors


def ask(question, answer):
    print(f"{question} {'yes' if answer else 'no'}")


ask("Is select at 800 fds more than 5x slower than at 10?", large["select"] > 5 * small["select"])
ask("Is poll at 800 fds more than 5x slower than at 10?", large["poll"] > 5 * small["poll"])
ask("At 800 fds, is epoll more than 10x faster than select?", large["select"] > 10 * large["epoll"])
ask(
    "From 10 to 800 fds, does select's cost grow at least 3x more than epoll's?",
    large["select"] / small["select"] > 3 * large["epoll"] / small["epoll"],
)

fig, ax = plt.subplots(figsize=(7, 4.5))
for kind, marker in (("select", "o"), ("poll", "s"), ("epoll", "^")):
    ax.plot([r["n"] for r in rows], [r[kind] * 1e6 for r in rows], marker=marker, label=kind)
    ax.annotate(f"{large[kind] * 1e6:.1f} us", (large["n"], large[kind] * 1e6), xytext=(5, 0), textcoords="offset points", fontsize=8, va="center")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks([r["n"] for r in rows], [str(r["n"]) for r in rows])
ax.set_xlabel("descriptors watched, none ready (count, log scale)")
ax.set_ylabel("microseconds per call (log)")
ax.set_title("Asking 'is anything ready?': select and poll grow, epoll does not")
ax.margins(x=0.15)
ax.legend()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("03_watch_cost.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# The price of epoll is paid elsewhere: every change to the watched set is a system call
# (`epoll_ctl`). A loop where each wait registers and unregisters its fd pays two of them per
# wait; libev (gevent's loop) batches and skips such changes. For a few descriptors `select`
# is perfectly good -- for thousands of mostly idle connections, only epoll (or kqueue on
# the BSDs) keeps each turn of the loop cheap. **epoll is what makes a loop scale** with the
# number of connections.
#
# What one turn of the loop costs on top of the system call is a different matter. libev is C:
# its turn (run the due timers, call `epoll_wait`, dispatch the ready watchers) costs little
# beyond the system call itself. coopconc's hub does the same turn in Python, on
# `select.epoll`. How much more does that cost? Measure a turn of each: one greenlet sleeping
# for a microsecond, many times over, so that every sleep is one whole turn (a timer, an
# `epoll_wait` with a timeout, the timer firing, a switch back). And, for contrast, `sleep(0)`,
# which in both libraries is only a callback and a switch, with no turn of the loop needed.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared: timings depend on this machine, its load and the gevent build installed)
import os
import time

import gevent

import coopconc

turns = 20_000 if os.environ.get("COOPCONC_FULL") == "1" else 2_000


def per_call(library, seconds):
    def spin():
        for _ in range(turns):
            library.sleep(seconds)

    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        library.spawn(spin).join()
        best = min(best, (time.perf_counter() - t0) / turns)
    return best


for what, seconds in (("one turn of the loop (sleep(1e-6))", 1e-6), ("a callback and a switch (sleep(0))", 0)):
    ours, theirs = per_call(coopconc, seconds), per_call(gevent, seconds)
    print(f"{what:<38} coopconc {ours * 1e6:5.1f} us, gevent {theirs * 1e6:5.1f} us: coopconc/gevent = {ours / theirs:.2f}")

# %% [markdown]
# Read the ratios. On the machine this course was written on, a whole turn of coopconc's
# Python hub cost only a little more than a turn of gevent's libev loop, and `sleep(0)` was no
# slower at all: most of a turn is the `epoll_wait` system call and the greenlet switch, both
# C in either library, and the hub keeps its Python part short (timers in a heap, callbacks in
# a list run in one batch, the epoll object called directly). Where the Python loop pays more
# is in work per ready descriptor and per timer, which grows with the load of a busy server:
# `make bench` measures those rows (TCP echo, thousands of timers) against gevent.

# %% [markdown]
# ## Errata
#
# - The source lists select, poll and epoll as three *implementations of asynchronous
#   programming*. They are three **readiness notification** system calls; the asynchronous
#   programming is the loop you build on them (Steps 1-3). None of the three is everywhere:
#   epoll is Linux-only (kqueue on the BSDs and macOS), `poll` is POSIX and does not exist on
#   Windows (Python has no `select.poll` there), and `select` exists everywhere but on Windows
#   watches sockets only. That is why libev, and Python's `selectors.DefaultSelector`, pick
#   the best mechanism the platform has.
# - The gevent bullet says the loop is fast "because libev". Two things are mixed there. What
#   makes a loop *scale* to many connections is epoll/kqueue, measured above; what makes each
#   turn cheap is libev being C. coopconc's hub is pure Python on `select.epoll` and keeps the
#   same shape; its cost per turn, next to gevent's, is measured above.

# %% [markdown]
# ## How coopconc does it
#
# The hub's loop (`Hub._loop`) is Step 3's `run_once`, with greenlets behind the callbacks;
# `Hub.wait_fd` is what `socket.recv` calls when the kernel says "not yet".

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.hub import Hub

print(inspect.getsource(Hub._loop))

# %%
# coopconc only: inspect.getsource of coopconc
import inspect

from coopconc.hub import Hub
from coopconc.socket import socket

print(inspect.getsource(Hub.wait_fd))
print(inspect.getsource(socket.recv))

# %% [markdown]
# Three things to notice:
#
# 1. The order of one turn is Step 3's: callbacks first, then the I/O wait whose timeout is
#    "until the earliest timer" (zero if callbacks are pending, none if there is nothing at
#    all), then the due timers, then the ready fds. When nothing can ever wake anyone, the
#    loop returns and the main greenlet gets `LoopExit`.
# 2. `wait_fd` registers the fd with a `Waiter` as its data -- where Step 2 stored a
#    callback. When the fd is ready the hub calls `waiter.switch(event)`: the "callback" is
#    a jump back into the greenlet, right after its `waiter.get(...)`.
# 3. `socket.recv` tries the real (non-blocking) call first and waits only on
#    `BlockingIOError`. Data that is already there costs no trip through the hub at all.

# %% [markdown]
# ## Exercises
#
# **1. Who has something to say?** Write `ready_to_read(socks, timeout)` that returns the
# *indices* (in `socks`) of the sockets that have data to read, using `select.select`, waiting
# at most `timeout` seconds.

# %%
# coopconc only: the exercise checker
import select


def ready_to_read(socks, timeout):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("03.1", ready_to_read)

# %% [markdown]
# **2. A timer heap.** Write `firing_order(delays)`: timers are registered in list order, timer
# `i` due after `delays[i]` seconds; return the list of indices in the order the timers fire.
# Ties fire in registration order. Use `heapq`, not `sorted` -- and no sleeping: nothing
# needs to actually wait.

# %%
# coopconc only: the exercise checker
import heapq


def firing_order(delays):
    raise NotImplementedError("write your answer here")


from coopconc.exercises import check

check("03.2", firing_order)

# %% [markdown]
# **3. Think.** In Step 1, what happens if a client sends a line and then *nothing*, while
# another keeps talking? And in Step 0? Then: Step 2's `on_readable` calls `conn.sendall`
# on a non-blocking socket. When could that raise `BlockingIOError`, and what would a real
# event loop do instead? (Hint: `EVENT_WRITE`.)
