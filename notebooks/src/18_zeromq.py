# %% [markdown]
# # 18 · ZeroMQ — Gevent ZeroMQ (实际应用 → Gevent ZeroMQ)
#
# **Source:** part *Gevent → 实际应用* (real-world applications), first item, **Gevent ZeroMQ**.
# Only the heading survived the extraction; the tutorial the source follows showed a REQ/REP
# pair of ZeroMQ sockets in *one* process, a server greenlet and a client greenlet, whose
# `send`/`recv` calls switch from one greenlet to the other without a single explicit
# `sleep`.
#
# After this notebook you can:
# - use ZeroMQ sockets from greenlets (`import coopconc.zmq as zmq`, the twin of
#   `import zmq.green as zmq` on gevent): REQ/REP, PUB/SUB, PUSH/PULL;
# - see on a timeline where the implicit switches happen;
# - explain why `zmq.FD` is *edge-triggered*, show the wake-up a careless green `recv` misses,
#   and write one that does not miss it.
#
# Every cell binds to `tcp://127.0.0.1` on a port the system picks, and waits with a timeout.
# On gevent, replace `import coopconc.zmq as zmq` with `import zmq.green as zmq` and
# `coopconc` with `gevent`.

# %% [markdown]
# ## The source's example, in Python 3
#
# A REQ socket must alternate: send, then recv, then send... A REP socket the other way round:
# recv, then send. Here the side that binds is the REQ ("server" in the tutorial) and the side
# that connects is the REP. Neither greenlet ever calls `sleep`: every `recv` that has nothing
# to read yet parks its greenlet in the hub, and the other one runs.

# %%
import coopconc
import coopconc.zmq as zmq

context = zmq.Context()


def server(sock):
    for request in range(1, 4):
        sock.send(b"Hello")
        print("Switched to server for", request)
        sock.recv()  # an implicit switch: the client runs while we wait


def client(sock):
    for request in range(1, 4):
        sock.recv()  # an implicit switch: the server runs while we wait
        print("Switched to client for", request)
        sock.send(b"World")


req = context.socket(zmq.REQ)
port = req.bind_to_random_port("tcp://127.0.0.1")
rep = context.socket(zmq.REP)
rep.connect(f"tcp://127.0.0.1:{port}")
jobs = [coopconc.spawn(server, req), coopconc.spawn(client, rep)]
coopconc.joinall(jobs, timeout=5, raise_error=True)
print("both done:", all(job.dead for job in jobs))
req.close()
rep.close()
context.term()

# %% [markdown]
# ## Where the switches happen
#
# The tracer records every hand-over and the reason the greenlet that stopped gave to the
# hub. For a ZeroMQ wait, the reason names the operation and the socket type:
# `zmq recv on REP`. Below, the same exchange traced (the two greenlets are named), its waits
# listed, and drawn: dark bars where a greenlet runs, pale bars where it waits. Each send
# is followed, one hand-over later, by the other side's wake-up.

# %%
# coopconc only: the tracer and its timeline
import matplotlib.pyplot as plt

import coopconc
import coopconc.zmq as zmq
from coopconc.trace import Tracer

context = zmq.Context()
req = context.socket(zmq.REQ)
port = req.bind_to_random_port("tcp://127.0.0.1")
rep = context.socket(zmq.REP)
rep.connect(f"tcp://127.0.0.1:{port}")


def server():
    for _ in range(3):
        req.send(b"Hello")
        req.recv()


def client():
    for _ in range(3):
        rep.recv()
        rep.send(b"World")


req.send(b"warm-up")  # the connection is made before the tracer starts
rep.send(rep.recv())
req.recv()
with Tracer() as tracer:
    jobs = [coopconc.Greenlet(server), coopconc.Greenlet(client)]
    jobs[0].name, jobs[1].name = "server (REQ)", "client (REP)"
    for job in jobs:
        job.start()
    coopconc.joinall(jobs, timeout=5, raise_error=True)
req.close()
rep.close()
context.term()

for who in ["server (REQ)", "client (REP)"]:
    reasons = sorted({s.reason for s in tracer.segments() if s.who == who and s.kind == "wait"})
    print(f"{who} waited in: {reasons}")
ax = tracer.timeline(
    x="step", title="REQ/REP in one process (dark: running, pale: waiting on a recv)"
)
fig = ax.figure
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("18_req_rep_timeline.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## PUB/SUB: one publisher, subscribers with topic filters
#
# A SUB socket receives only the messages whose first bytes match one of its subscriptions.
# One trap every student meets: a subscription travels to the publisher *after* `connect`, so
# the first messages published are lost ("slow joiner"). Here the publisher repeats a warm-up
# message on every topic until each subscriber has seen one, then publishes for real.

# %%
import coopconc
import coopconc.zmq as zmq
from coopconc.event import Event

context = zmq.Context()
pub = context.socket(zmq.PUB)
port = pub.bind_to_random_port("tcp://127.0.0.1")
filters = {"weather": [b"weather"], "sport": [b"sport"], "both": [b"weather", b"sport"]}
subs, ready, received = {}, {}, {}
for name, topics in filters.items():
    subs[name] = context.socket(zmq.SUB)
    subs[name].connect(f"tcp://127.0.0.1:{port}")
    for topic in topics:
        subs[name].setsockopt(zmq.SUBSCRIBE, topic)
    ready[name], received[name] = Event(), []


def listen(name):
    ends = 0
    while ends < len(filters[name]):
        topic, body = subs[name].recv_multipart()
        if body == b"warm-up":
            ready[name].set()
        elif body == b"end":
            ends += 1
        else:
            received[name].append(body.decode())


listeners = [coopconc.spawn(listen, name) for name in subs]
with coopconc.Timeout(5):
    while not all(event.is_set() for event in ready.values()):
        for topic in (b"weather", b"sport"):
            pub.send_multipart([topic, b"warm-up"])
        coopconc.sleep(0.01)
for i in range(2):
    pub.send_multipart([b"weather", f"sunny {i}".encode()])
    pub.send_multipart([b"sport", f"goal {i}".encode()])
    pub.send_multipart([b"news", f"nobody listens {i}".encode()])
for topic in (b"weather", b"sport"):
    pub.send_multipart([topic, b"end"])
coopconc.joinall(listeners, timeout=5, raise_error=True)
for name in subs:
    print(f"{name:8} {received[name]}")
for sock in [pub, *subs.values()]:
    sock.close(0)
context.term()

# %% [markdown]
# ## PUSH/PULL: a pipeline that shares out work
#
# A PUSH socket deals its messages round-robin to the PULL sockets connected to it, each
# message to exactly one of them: the "ventilator, workers, sink" pipeline. Three worker
# greenlets, 30 tasks, and a sink that collects the results. Which worker gets how many
# depends on when each one connected, so we print only what does not: every task done once.

# %%
import coopconc
import coopconc.zmq as zmq

context = zmq.Context()
ventilator = context.socket(zmq.PUSH)
tasks_port = ventilator.bind_to_random_port("tcp://127.0.0.1")
sink = context.socket(zmq.PULL)
sink_port = sink.bind_to_random_port("tcp://127.0.0.1")


def worker(index):
    with context.socket(zmq.PULL) as tasks, context.socket(zmq.PUSH) as results:
        tasks.connect(f"tcp://127.0.0.1:{tasks_port}")
        results.connect(f"tcp://127.0.0.1:{sink_port}")
        while True:
            n = tasks.recv_json()
            results.send_json([n, n * n, index])


workers = [coopconc.spawn(worker, i) for i in range(3)]
coopconc.sleep(0.1)  # let the workers connect: PUSH deals only to connected peers
for n in range(30):
    ventilator.send_json(n)
with coopconc.Timeout(5):
    results = [sink.recv_json() for _ in range(30)]
print("squares:", sorted(square for _, square, _ in results)[:6], "...")
print("every task exactly once:", sorted(n for n, _, _ in results) == list(range(30)))
coopconc.killall(workers)
ventilator.close(0)
sink.close(0)
context.term()

# %% [markdown]
# ## The edge-triggered file descriptor
#
# How does a green `recv` wait? pyzmq gives each socket a file descriptor, `zmq.FD`, that the
# hub can watch. But it is **not** "the socket is readable". It is a doorbell: libzmq rings it
# when the socket's state *may have changed*, and every question asked of the socket silences
# it -- reading `zmq.EVENTS`, and every `send` and `recv` too. It rings once for a whole burst
# of messages, and not again while libzmq thinks you already know.
#
# So a recv that waits for the ring and then takes *one* message misses the rest: after the
# first message it sleeps on a silent fd with the others queued. Below, with plain (blocking)
# pyzmq sockets: a burst of 100 messages arrives while the program is busy; the careless
# recv takes one and then sleeps until its 0.3 s timeout. The rule that fixes it: **before
# every sleep, ask `zmq.EVENTS`** -- sleep only if it says there is nothing to read.

# %%
import time

import zmq as plain_zmq

from coopconc.socket import wait_read

context = plain_zmq.Context()
pull = context.socket(plain_zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
push = context.socket(plain_zmq.PUSH)
push.connect(f"tcp://127.0.0.1:{port}")
push.send(b"warm-up")
pull.recv()
print("EVENTS before the burst:", pull.getsockopt(plain_zmq.EVENTS))  # 0: nothing to read


def careless_recv(sock):
    """Wait for the ring, then ask EVENTS: never asks *before* sleeping."""
    while True:
        wait_read(sock.getsockopt(plain_zmq.FD), timeout=0.3, timeout_exc=TimeoutError)
        if sock.getsockopt(plain_zmq.EVENTS) & plain_zmq.POLLIN:
            return sock.recv(plain_zmq.NOBLOCK)


def careful_recv(sock):
    """Ask EVENTS before every sleep."""
    while not sock.getsockopt(plain_zmq.EVENTS) & plain_zmq.POLLIN:
        wait_read(sock.getsockopt(plain_zmq.FD), timeout=0.3, timeout_exc=TimeoutError)
    return sock.recv(plain_zmq.NOBLOCK)


for i in range(100):
    push.send(b"%d" % i)
time.sleep(0.1)  # busy: the burst arrives while nobody looks

got = []
try:
    while True:
        got.append(careless_recv(pull))
except TimeoutError:
    print(f"careless: got {len(got)} message(s), then slept on a silent fd until the timeout")
print(
    "...while EVENTS says:", pull.getsockopt(plain_zmq.EVENTS), "(1 = POLLIN: messages are waiting)"
)
got += [careful_recv(pull) for _ in range(99)]
print(
    f"careful: got the other {len(got) - 1}; all 100 in order:",
    got == [b"%d" % i for i in range(100)],
)
pull.close()
push.close()
context.term()

# %% [markdown]
# There is a second half to the rule. A `send` or `recv` made by *one* greenlet silences the
# doorbell that *another* greenlet may be sleeping on (say one greenlet reads a DEALER socket
# while another writes to it). So after every operation, if anybody else waits on that socket,
# read `zmq.EVENTS` and wake the ones whose event it shows. `coopconc.zmq` does both, in one
# place (see "How coopconc does it" below); that is also what lets several greenlets wait on
# one socket at once -- `zmq.green` refuses that with an `AssertionError`.

# %%
# coopconc only: several greenlets waiting on one socket (zmq.green allows one) and their wait reason
import coopconc
import coopconc.zmq as zmq

context = zmq.Context()
pull = context.socket(zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
push = context.socket(zmq.PUSH)
push.connect(f"tcp://127.0.0.1:{port}")
readers = [coopconc.spawn(pull.recv) for _ in range(3)]
coopconc.sleep(0.05)
print(readers[0])
print(pull)
for word in [b"one", b"two", b"three"]:
    push.send(word)
print(sorted(reader.get(timeout=5) for reader in readers))
pull.close()
push.close()
context.term()

# %% [markdown]
# ## Timeouts, NOBLOCK, and closing a socket under a waiter
#
# - `zmq.NOBLOCK` (also spelled `zmq.DONTWAIT`) never waits: nothing there means `zmq.Again`.
# - A `coopconc.Timeout` around any call cancels the wait cleanly; the socket stays usable.
# - Closing a socket wakes the greenlets waiting on it with `ZMQError` (ENOTSOCK) instead of
#   leaving them parked forever.

# %%
import coopconc
import coopconc.zmq as zmq

context = zmq.Context()
pull = context.socket(zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
push = context.socket(zmq.PUSH)
push.connect(f"tcp://127.0.0.1:{port}")

try:
    pull.recv(zmq.NOBLOCK)
except zmq.Again:
    print("NOBLOCK, nothing there: zmq.Again at once")
try:
    with coopconc.Timeout(0.05):
        pull.recv()
except coopconc.Timeout:
    print("recv cancelled by a 0.05 s Timeout")
push.send(b"after the timeout")
print("the socket still works:", pull.recv())


def wait_for_ever():
    try:
        return pull.recv()
    except zmq.ZMQError as exc:
        return f"woken by {type(exc).__name__}: {exc}"


waiting = coopconc.spawn(wait_for_ever)
coopconc.sleep(0.05)
pull.close()
print(waiting.get(timeout=5))
push.close()
context.term()

# %% [markdown]
# `RCVTIMEO` and `SNDTIMEO` (milliseconds) work as in blocking pyzmq: the call raises
# `zmq.Again` when the time is up. That is coopconc's: `zmq.green` ignores both options (with
# a warning), so on gevent you put a `gevent.Timeout` around the call instead.

# %%
# coopconc only: RCVTIMEO (zmq.green ignores it)
import coopconc
import coopconc.zmq as zmq

context = zmq.Context()
pull = context.socket(zmq.PULL)
pull.bind_to_random_port("tcp://127.0.0.1")
pull.setsockopt(zmq.RCVTIMEO, 50)
started = coopconc.get_hub().now()
try:
    pull.recv()
except zmq.Again:
    waited = coopconc.get_hub().now() - started
    print("zmq.Again after RCVTIMEO; waited at least 50 ms:", waited >= 0.05)
pull.close()
context.term()

# %% [markdown]
# ## Errata
#
# - **The code was lost**: only the heading "Gevent ZeroMQ" remains in the source. The first
#   cell re-creates the tutorial's example.
# - **`from gevent_zeromq import zmq`** was a separate package for Python 2, long abandoned.
#   Its code moved into pyzmq itself: `import zmq.green as zmq` on gevent, and here
#   `import coopconc.zmq as zmq`.
# - **`socket.send("Hello")` fails on Python 3**: ZeroMQ carries bytes; `send` refuses a
#   `str` (`TypeError`). Send `b"Hello"`, or use `send_string("Hello")` /
#   `recv_string()`, which encode and decode UTF-8.
# - **A fixed port (`tcp://127.0.0.1:5000`)** fails when the port is taken (a second run of
#   the notebook, another program). `bind_to_random_port` lets the system choose.
# - **`range(1, 10)` makes nine requests, not ten**; the example here makes three, to keep
#   the output short.
# - **`client = gevent.spawn(client)`** rebinds the name of the function to a greenlet: it
#   works once, and confuses every later reader. Keep distinct names.
# - **Nothing was closed**: a context's `term()` waits until every socket of it is closed, so
#   a program that forgets `close()` can hang at exit. Every cell here closes its sockets.

# %% [markdown]
# ## How coopconc does it
#
# A blocking call is `_cc_retry`: try with `NOBLOCK`; on `Again`, wait; try again. The wait
# is `_cc_wait`, and both halves of the edge-triggered rule live in `_cc_events`, the one
# place where `coopconc.zmq` reads `zmq.EVENTS`.

# %%
# coopconc only: the source of coopconc.zmq
import inspect

from coopconc.zmq import Socket

print(inspect.getsource(Socket._cc_retry))
print(inspect.getsource(Socket._cc_events))

# %% [markdown]
# Three things to notice:
#
# 1. The `NOBLOCK` attempt comes *first*: a message already queued is taken without ever
#    touching the hub, and `Again` is only raised when libzmq has just looked and found
#    nothing -- so sleeping on the fd after it is safe.
# 2. After every operation (`self._cc_after()`), if anybody waits on this socket, `EVENTS` is
#    read again, and `_cc_events` wakes whoever it satisfies: the greenlet sleeping on the fd
#    through `hub.cancel_wait`, the others through their `Waiter`.
# 3. Timeouts come from the hub, like every other wait: `RCVTIMEO` becomes a deadline, a
#    `coopconc.Timeout` is thrown into the waiting greenlet, and the `finally` blocks of
#    `_cc_wait` hand the socket over to the next waiter.

# %% [markdown]
# ## Exercises
#
# **18.1 · Many requests at once.** A REQ socket has one request in flight at a time (send,
# then recv). Write `ask_all(ctx, address, requests)`: send every request (bytes) to the REP
# or ROUTER server at `address` *at the same time* -- one greenlet and one REQ socket per
# request -- and return the replies in the order of the requests. The checker's server holds
# the requests back until it has them all, so it can tell whether they were in flight
# together.

# %%
# coopconc only: the exercise checker
import coopconc
import coopconc.zmq as zmq


def ask_all(ctx, address, requests):
    raise NotImplementedError  # replace with your answer


from coopconc.exercises import check

check("18.1", ask_all)

# %% [markdown]
# **18.2 · A green recv of your own.** Given a *plain* pyzmq socket (whose `recv` would block
# the whole thread), write `green_recv(sock)` that returns the next message and lets other
# greenlets run while it waits. Use only `sock.getsockopt(zmq.EVENTS)`,
# `sock.getsockopt(zmq.FD)`, `sock.recv(zmq.NOBLOCK)` and `wait_read` from
# `coopconc.socket`. The checker watches that other greenlets run while it waits, that it
# does not spin, and that it takes every message of a burst that arrived while nobody looked.

# %%
# coopconc only: the exercise checker
import zmq

import coopconc
from coopconc.socket import wait_read


def green_recv(sock):
    raise NotImplementedError  # replace with your answer


from coopconc.exercises import check

check("18.2", green_recv)
