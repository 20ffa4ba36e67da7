# %% [markdown]
# # 17 · Long polling, websockets and the chat room — 实际应用: Long Polling, Websockets
#
# **Source:** part *Gevent → 实际应用* (real-world use), the items **Long Polling** and
# **Websockets** of its list, which point at the tutorial's last examples: a long-polling
# endpoint fed by a queue, a websocket feed, and a Flask chat room with rooms, a queue per
# user and long polling. The source kept only the list; the code below re-creates those
# programs in Python 3 on `coopconc.pywsgi`.
#
# After this notebook you can:
# - build long polling from a WSGI app and a queue, and say what it costs the server;
# - answer a websocket from a WSGI app (`environ["wsgi.websocket"]`) and know what the
#   protocol library does for you;
# - read the chat room's server, run it, open it in a browser, and say how its memory and
#   delivery time grow with the number of connected users.

# %% [markdown]
# ## Long polling: a request that waits
#
# A browser cannot be called back: it can only ask. *Long polling* makes asking cheap. The
# browser sends a request; the server does not answer until it has something to say (or a
# time limit passes); the browser reads the answer and asks again at once. With coopconc a
# waiting request is a greenlet parked in `Queue.get` — a few kilobytes, no thread.
#
# The cell below holds the whole thing, server and client. `POST /put` adds a message to a
# queue; `POST /poll` waits (up to `timeout`) for the first message, then takes whatever else
# is queued and answers a JSON list. The client starts a poll, and only *then* another
# greenlet posts: look at the order of the lines.

# %%
import json

import coopconc
from coopconc.pywsgi import WSGIServer
from coopconc.queue import Empty, Queue
from coopconc.socket import create_connection

messages = Queue()


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/put":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        messages.put(environ["wsgi.input"].read(size).decode())
        answer = []
    elif path == "/poll":
        try:
            answer = [messages.get(timeout=0.3)]  # wait for the first one ...
        except Empty:
            answer = []
        while not messages.empty():  # ... then take what else is there
            answer.append(messages.get_nowait())
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not here\n"]
    body = json.dumps(answer).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def post(port, path, data=b""):
    """A tiny HTTP client: one request per connection; returns the JSON answer."""
    sock = create_connection(("127.0.0.1", port), timeout=5)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    sock.sendall(head.encode() + data)
    reply = b""
    while chunk := sock.recv(4096):
        reply += chunk
    sock.close()
    return json.loads(reply.split(b"\r\n\r\n", 1)[1])


server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()
port = server.server_port


def poller():
    print("poll sent, waiting")
    print("poll answered:", post(port, "/poll"))


def sender():
    coopconc.sleep(0.1)
    print("posting 'hello'")
    post(port, "/put", b"hello")


coopconc.joinall([coopconc.spawn(poller), coopconc.spawn(sender)])
post(port, "/put", b"one")
post(port, "/put", b"two")
print("two were queued:", post(port, "/poll"))  # answered at once, both
print("nothing queued: ", post(port, "/poll"))  # waits 0.3 s, then answers []
server.stop()

# %% [markdown]
# The first poll waited until the put, and was answered right after it. Messages that arrive
# while nobody polls wait in the queue, and the next poll takes them all at once. The last
# poll found nothing and, after its 0.3 s, answered `[]`: a browser would simply ask again.

# %% [markdown]
# ## A websocket echo
#
# Long polling pays a whole HTTP request per answer. A *websocket* upgrades one HTTP request
# into a two-way channel of *frames*, open as long as both sides like. The protocol has
# details that are easy to get wrong (masking, fragments, control frames, UTF-8 checks,
# the closing handshake), so `coopconc.websocket` leaves all of them to **wsproto**, a
# protocol library that does no I/O: we hand it bytes, it hands back events. What coopconc
# adds is the waiting: a `receive()` parks only its greenlet.
#
# A WSGI app gets the websocket as `environ["wsgi.websocket"]` (gevent-websocket's key) once
# it is wrapped in `WebSocketMiddleware`. The client here is `coopconc.examples.clients`, a
# small wsproto-based client used by the tests too.

# %%
# coopconc only: coopconc.websocket's WebSocketMiddleware and coopconc.examples.clients
import coopconc
from coopconc.examples.clients import WebSocketClient
from coopconc.pywsgi import WSGIServer
from coopconc.socket import create_connection
from coopconc.websocket import WebSocketMiddleware


def echo(environ, start_response):
    ws = environ["wsgi.websocket"]
    while (message := ws.receive()) is not None:
        ws.send(message)
    print("server: the client closed with code", ws.close_code)
    return []


server = WSGIServer(("127.0.0.1", 0), WebSocketMiddleware(echo), log=None)
server.start()
client = WebSocketClient(create_connection(("127.0.0.1", server.server_port), timeout=5), "/echo")
for message in ["hello", "héllo wörld", b"\x00\x01 bytes stay bytes"]:
    client.send(message)
    print("client got back:", repr(client.receive()))
client.close()
coopconc.sleep(0.05)
server.stop()

# %% [markdown]
# A text message comes back as `str`, a binary one as `bytes`. When the client closes, the
# server's `receive()` returns `None`, after the middleware has answered the client's close
# frame with the same code (1000, "normal closure").
#
# ### Bad input closes that connection, with a reason
#
# What a client sends is not to be trusted. Here one client sends a frame that is not
# masked (RFC 6455 requires clients to mask every frame), and another sends more than the
# `max_message_size` the app allows. Each gets a close frame with the code the RFC names
# for its mistake; a third, well-behaved client is served as if nothing had happened.

# %%
# coopconc only: coopconc.websocket's WebSocketMiddleware and coopconc.examples.clients
import struct

from coopconc.examples.clients import WebSocketClient
from coopconc.pywsgi import WSGIServer
from coopconc.socket import create_connection
from coopconc.websocket import WebSocketMiddleware


def echo(environ, start_response):
    ws = environ["wsgi.websocket"]
    while (message := ws.receive()) is not None:
        ws.send(message)
    return []


server = WSGIServer(("127.0.0.1", 0), WebSocketMiddleware(echo, max_message_size=1000), log=None)
server.start()
address = ("127.0.0.1", server.server_port)


def close_code_after(raw: bytes):
    """Open a websocket, send raw bytes, return the code of the server's close frame."""
    client = WebSocketClient(create_connection(address, timeout=5), "/echo")
    client.sock.sendall(raw)
    assert client.receive() is None  # the server closed
    client.sock.close()
    return client.close_code


unmasked = bytes([0x81, 5]) + b"hello"  # FIN + text, length 5, no mask bit
print("unmasked frame ->", close_code_after(unmasked))
too_big = bytes([0x82, 0x80 | 126]) + struct.pack("!H", 5000) + b"\0\0\0\0" + b"x" * 5000
print("5000-byte message ->", close_code_after(too_big))
polite = WebSocketClient(create_connection(address, timeout=5), "/echo")
polite.send("am I still served?")
print("third client ->", polite.receive())
polite.close()
server.stop()

# %% [markdown]
# 1002 is "protocol error", 1009 "message too big". The close frame also carries a reason
# text ("message over 1000 bytes"), which a browser shows as `event.reason`.

# %% [markdown]
# ## The chat room, read piece by piece
#
# `coopconc/examples/chat.py` is the tutorial's chat, ported and fixed. Start it with
#
#     python -m coopconc.examples.chat            # then open http://127.0.0.1:8000/
#
# The state is a `Chat`: rooms, and for each user in a room a `Subscription` that owns
# bounded queues — one for long polls, and one per open websocket (`attach`; the first
# websocket takes over what waited since the page opened). Posting is a loop of
# `put_nowait` — it never waits, however many users there are — plus a nudge to each
# user's long poll:

# %%
# coopconc only: inspect.getsource of coopconc's chat example
import inspect

from coopconc.examples.chat import Chat, Subscription

print(inspect.getsource(Chat.post))
print(inspect.getsource(Subscription.deliver))
print(inspect.getsource(Subscription.attach))

# %% [markdown]
# A long poll takes everything queued for the user, in every room it joined; if there is
# nothing, it waits on the user's `arrived` event until a post sets it or the time is up.
# Note the loop: a wake-up does not promise a message (another poll of the same user may
# have taken it), so it looks again.

# %%
# coopconc only: inspect.getsource of coopconc's chat example
import inspect

from coopconc.examples.chat import Chat

print(inspect.getsource(Chat.take))
print(inspect.getsource(Chat.poll))

# %% [markdown]
# A websocket user gets two greenlets: the request's own reads what the browser posts,
# and `_forward` takes messages off the websocket's own queue (its *feed*: two tabs of one
# user each get every message) and sends each as a JSON text frame.
# Whatever the browser sends that is not `{"message": "..."}` closes *that* websocket with
# a reason; nobody else notices.

# %%
# coopconc only: inspect.getsource of coopconc's chat example
import inspect

from coopconc.examples.chat import Chat

print(inspect.getsource(Chat.serve_websocket))
print(inspect.getsource(Chat._forward))

# %% [markdown]
# ### Running it, and talking to it from a cell
#
# `create_app()` builds the Flask app (routes: `/`, `/<uid>`, `/<room>/<uid>`,
# `POST /put/<room>/<uid>`, `POST /poll/<uid>`, websocket `/ws/<room>/<uid>`). Here it runs in
# the background of this cell's hub while the cell is its users: bob opens the room page
# (which subscribes him), carol opens a websocket, alice posts, and both get the message —
# bob by long polling, carol as a frame. The `poll_timeout` is shortened to 0.5 s for the cell.

# %%
# coopconc only: coopconc's chat example and its clients
import json

from coopconc.examples.chat import create_app
from coopconc.examples.clients import HTTPClient, WebSocketClient
from coopconc.pywsgi import WSGIServer
from coopconc.socket import create_connection

app = create_app(poll_timeout=0.5)
server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()
address = ("127.0.0.1", server.server_port)

bob = HTTPClient(create_connection(address, timeout=5))
status, page = bob.request("GET", "/topic1/bob")
print("bob opens the room page:", status, "| has #messages:", b'id="messages"' in page)
carol = WebSocketClient(create_connection(address, timeout=5), "/ws/topic1/carol")
alice = HTTPClient(create_connection(address, timeout=5))
print("alice posts:", alice.request("POST", "/put/topic1/alice", {"message": "hi all"}))
print("bob polls:  ", bob.json("POST", "/poll/bob"))
print("carol reads:", json.loads(carol.receive()))
carol.send(json.dumps({"message": "hi alice"}))
print("bob polls:  ", bob.json("POST", "/poll/bob"))
print("bob polls:  ", bob.json("POST", "/poll/bob"), "(nothing new: 0.5 s later)")
print("refused:    ", alice.request("POST", "/put/topic1/alice", {"message": ""})[0], "(empty)",
      alice.request("POST", "/put/topic1/alice", {"message": "x" * 2001})[0], "(too long)",
      alice.request("POST", "/put/nowhere/alice", {"message": "hi"})[0], "(no such room)")
print(app.chat)
app.chat.shutdown()
carol.close()
for client in (alice, bob):
    client.close()
server.stop()

# %% [markdown]
# ### One message fanning out
#
# What happens inside the server when alice posts? Below, the same `Chat` runs without
# HTTP: three websocket users are `_forward` greenlets (their "websocket" only records what
# it is sent), two long-polling users are greenlets in `poll`. The tracer records every
# switch. Alice's `post` runs to the end without a switch (it only puts and sets); then each
# waiting greenlet runs in turn, in the order it started waiting.

# %%
# coopconc only: coopconc.trace's Tracer and timeline, the virtual clock, coopconc's chat example
import matplotlib.pyplot as plt

import coopconc
from coopconc.examples.chat import Chat
from coopconc.trace import Tracer


class RecordingSocket:
    """Stands in for a websocket: remembers what it was sent."""

    def __init__(self):
        self.sent = []

    def send(self, frame):
        self.sent.append(frame)


chat = Chat(poll_timeout=5)
sockets = {}


def websocket_user(uid):
    sockets[uid] = RecordingSocket()
    chat._forward(chat.subscribe("topic1", uid).attach(), sockets[uid])


def polling_user(uid):
    chat.subscribe("topic1", uid)
    print(f"{uid} polled:", chat.poll(uid))


def alice():
    coopconc.sleep(1)
    chat.post("topic1", "alice", "hello, room")


def named(fn, name, *args):
    g = coopconc.Greenlet(fn, *args)
    g.name = name
    g.start()
    return g


with coopconc.virtual_clock(), Tracer() as tracer:
    users = [named(websocket_user, f"ws-{i}", f"ws-{i}") for i in range(3)]
    users += [named(polling_user, f"poll-{i}", f"poll-{i}") for i in range(2)]
    coopconc.joinall([named(alice, "alice")] + users[3:])
    coopconc.sleep(0.1)
    print({uid: s.sent for uid, s in sockets.items()})
    for g in users[:3]:
        g.kill()
    chat.shutdown()

ran = [line.split()[1] for line in tracer.log() if line.strip().endswith("runs")]
posted = len(ran) - 1 - ran[::-1].index("alice")  # alice's last turn: the post
users_woken = [who for who in ran[posted + 1 :] if who.startswith(("ws-", "poll-"))]
print("after alice's post, in order:", users_woken[:5])
fig, ax = plt.subplots(figsize=(10, 4))
tracer.timeline(ax=ax, x="step", title="one post fanning out to 3 websocket and 2 polling users")
ax.set_xlabel("hand-overs between greenlets (count)")
plt.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("17_fan_out.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## What a user costs: memory and delivery time as users grow
#
# The cell below starts the chat as its own process (`python -m coopconc.examples.chat`),
# connects users in two rooms — websocket users in `topic1`, long-polling users in
# `topic2`, the same number of each — and after each step measures:
#
# - the server's memory: its resident set (`VmRSS` in `/proc/<pid>/status`) above what it
#   used before the first user came;
# - the delivery time: from one post until *every* user in the room has the message.
#
# By default it goes to 50 users of each kind, to stay quick; run the notebook with
# `COOPCONC_FULL=1` for 100, 1,000 and 2,000 of each. The clients run in this process, as
# greenlets, so part of the delivery time is theirs.

# %%
# coopconc only: coopconc's chat example and its clients
# NBVAL_IGNORE_OUTPUT
# (not compared: memory and times depend on this machine, its load and the Python build)
import os
import re
import subprocess
import sys
import time

import matplotlib.pyplot as plt

import coopconc
from coopconc.examples.clients import HTTPClient, WebSocketClient
from coopconc.pool import Pool
from coopconc.socket import create_connection

SIZES = (100, 1000, 2000) if os.environ.get("COOPCONC_FULL") == "1" else (10, 50)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) / 1024


server = subprocess.Popen(
    [sys.executable, "-m", "coopconc.examples.chat", "--port", "0", "--poll-timeout", "30"],
    stdout=subprocess.PIPE,
    text=True,
)
address = ("127.0.0.1", int(re.search(r":(\d+)/", server.stdout.readline()).group(1)))


def websocket_user(i):
    return WebSocketClient(create_connection(address, timeout=30), f"/ws/topic1/ws{i}")


def polling_user(i):
    client = HTTPClient(create_connection(address, timeout=30))
    client.request("GET", f"/topic2/poll{i}")  # opening the room page subscribes
    return client, f"poll{i}"


rows = []
try:
    before = rss_mb(server.pid)
    poster = HTTPClient(create_connection(address, timeout=30))
    websockets, pollers = [], []
    for size in SIZES:
        websockets += Pool(50).map(websocket_user, range(len(websockets), size))
        pollers += Pool(50).map(polling_user, range(len(pollers), size))
        memory = rss_mb(server.pid) - before
        t0 = time.perf_counter()
        poster.request("POST", "/put/topic1/alice", {"message": f"hello {size}"})
        coopconc.joinall([coopconc.spawn(ws.receive) for ws in websockets])
        ws_time = time.perf_counter() - t0
        waiting = [coopconc.spawn(client.json, "POST", f"/poll/{uid}") for client, uid in pollers]
        coopconc.sleep(0.2)  # let every poll arrive and wait
        t0 = time.perf_counter()
        poster.request("POST", "/put/topic2/alice", {"message": f"hello {size}"})
        coopconc.joinall(waiting)
        poll_time = time.perf_counter() - t0
        rows.append((size, memory, ws_time * 1000, poll_time * 1000))
    for ws in websockets:
        ws.close()
    for client, _uid in pollers:
        client.close()
finally:
    server.terminate()
    server.wait(10)
    server.stdout.close()

print(f"{'users of each kind':>18} {'server memory':>14} {'per user':>9} {'websocket fan-out':>18} {'long-poll fan-out':>18}")
for size, memory, ws_ms, poll_ms in rows:
    print(f"{size:>18} {memory:>11.1f} MB {memory * 1024 / (2 * size):>6.0f} kB {ws_ms:>15.0f} ms {poll_ms:>15.0f} ms")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
sizes = [r[0] for r in rows]
left.plot(sizes, [r[1] for r in rows], "o-", label="server memory above idle (both kinds)")
left.set_xlabel("users of each kind (count)")
left.set_ylabel("MB")
left.set_title("memory")
left.legend()
right.plot(sizes, [r[2] for r in rows], "o-", label="websocket users")
right.plot(sizes, [r[3] for r in rows], "s-", label="long-polling users")
right.set_xlabel("users in the room (count)")
right.set_ylabel("ms until every user has the message")
right.set_title("delivery of one message")
right.legend()
for ax in (left, right):
    ax.set_xticks(sizes)
plt.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("17_users.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# What to read in it (the figures above are from the last run of this notebook, on a shared
# 2-core machine; yours will differ):
#
# - Memory grows in a straight line with users, a few tens of kilobytes each: a parked
#   greenlet, a socket, the request's objects, a queue. A thread per user would cost its
#   whole stack instead.
# - A websocket delivery is one frame per user; a long-poll delivery is a whole HTTP
#   response per user *and* a new request to follow, so it costs several times more, and
#   it grows with the room too. That is the case for websockets, not a coopconc quirk.
# - Both grow linearly: fanning out is a loop over the room. Nothing waits on anything else.

# %% [markdown]
# ## Opening it in a browser
#
# In a terminal (not in this notebook: the server runs until you stop it):
#
#     .venv/bin/python -m coopconc.examples.chat        # --port 8001 if 8000 is taken
#
# Open `http://127.0.0.1:8000/` in two browser tabs, choose a different name in each, pick
# the same room, and type: each message appears in both tabs. Add `?transport=poll` to one
# tab's address to make it long-poll instead of using a websocket; it still sees everything.
# Ctrl-C (or SIGTERM) stops the server; open websockets get a close frame (1001, "going
# away") and pending polls an empty answer, and it exits with status 0.
#
# The browser part is tested, not shown here: `tests/test_chat_browser.py` drives three
# headless Chromium sessions with selenium (two on websockets, one polling), checks that
# every message shows up exactly once in each, and that a message like
# `<img src=x onerror=alert(1)>` is shown as text. The cell below only starts the command,
# reads the address it prints and stops it, as you would.

# %%
# coopconc only: coopconc's chat example (python -m coopconc.examples.chat)
import re
import signal
import subprocess
import sys

chat = subprocess.Popen(
    [sys.executable, "-m", "coopconc.examples.chat", "--port", "0"],
    stdout=subprocess.PIPE,
    text=True,
)
line = chat.stdout.readline()
print(re.sub(r":\d+/", ":PORT/", line.strip()))
chat.send_signal(signal.SIGTERM)
print("exit status:", chat.wait(10))
print(re.sub(r":\d+/", ":PORT/", chat.stdout.read().strip()))
chat.stdout.close()

# %% [markdown]
# ## Errata
#
# The tutorial's chat (the one the source's list points at) works in a demo and fails in
# use. What it got wrong, and what `coopconc/examples/chat.py` does instead:
#
# - **A user who leaves is never unsubscribed.** Its queue stays in the room, and every
#   later message is put into it, forever: memory grows with every message times every
#   user who ever visited. Here each queue is bounded (`queue_size`, 100: when full, the
#   oldest message is dropped and counted) and a reaper greenlet unsubscribes a user who had
#   no websocket and no poll for `idle_after` seconds (60). The cell below shows both.
# - **It binds all interfaces** (`0.0.0.0`): anyone on the network can join. Here it binds
#   127.0.0.1 unless you pass `--host`.
# - **Python 2** (`print` statements, `gevent.wsgi`, which gevent removed): Python 3 and
#   `coopconc.pywsgi`.
# - **Names and messages went into the page as HTML.** A message `<img src=x onerror=...>`
#   ran script in everybody's browser. Here the templates escape, and the page's JavaScript
#   only sets `textContent`.
# - The source's list names "Long Polling" and "Websockets" but its text for them was lost;
#   the programs above are written fresh.

# %%
# coopconc only: the virtual clock and coopconc's chat example
import coopconc
from coopconc.examples.chat import Chat


def story():
    chat = Chat(queue_size=100, idle_after=60)
    chat.subscribe("topic1", "stays")
    chat.subscribe("topic1", "left")  # opens the page once, never comes back
    for minute in range(1, 4):
        for i in range(400):
            chat.post("topic1", "talker", f"message {i}")
        chat.take("stays")  # "stays" keeps polling
        coopconc.sleep(60)
        print(f"after {minute} min:", chat.stats(), "| users:", sorted(chat.users))
    chat.shutdown()


coopconc.run(story, clock="virtual")

# %% [markdown]
# "left" never held more than 100 messages, and after its idle minute the reaper removed it
# (and its queue). In the tutorial's version it would now hold 1,200 and keep growing.

# %% [markdown]
# ## How coopconc does it
#
# The websocket's first `receive()` or `send()` finishes the handshake: it takes the
# connection from the server (`environ["coopconc.take_connection"]`, coopconc.pywsgi's hook),
# sends wsproto's `101 Switching Protocols`, and from then on owns the socket: only frames
# cross it, read and written by wsproto's frame layer (`FrameProtocol`), while the WebSocket
# keeps the connection's state (open, closing, closed) itself. Until that moment the app may
# still refuse with a plain HTTP status — the chat answers 404 for an unknown room that way.

# %%
# coopconc only: inspect.getsource of coopconc.websocket
import inspect

from coopconc.websocket import WebSocket

print(inspect.getsource(WebSocket.accept))

# %% [markdown]
# Receiving: wsproto's frame layer turns bytes into frames; we join the pieces of a message,
# answer pings, enforce the size limit and stop at a close. Three things to notice: the only
# wait is `self._socket.recv` inside `_pump` (the hub parks this greenlet there); a protocol
# error found by wsproto raises `ParseFailed`, answered by `_fail` with a close frame that
# carries the error's code, while a close frame from the client goes to `_closed_by`, which
# tells the reply to our own close from a client that said goodbye first; the size check
# runs on every piece, so an oversized message is refused before it is all in memory.

# %%
# coopconc only: inspect.getsource of coopconc.websocket
import inspect

from coopconc.websocket import WebSocket

print(inspect.getsource(WebSocket._receive_message))
print(inspect.getsource(WebSocket._closed_by))

# %% [markdown]
# ## Exercises
#
# **17.1 — A long-polling endpoint.** Write `make_poll_app(queue, timeout)`, returning a WSGI
# app that answers any request with a JSON list: it waits up to `timeout` seconds for the
# first item of `queue`, then adds everything else already queued; `[]` if nothing came.
# (The check calls your app directly, as a server would, with items arriving while it waits.)

# %%
# coopconc only: the exercise checker
import json

from coopconc.queue import Empty, Queue


def make_poll_app(queue, timeout):
    raise NotImplementedError("return a WSGI app: wait for the first item, then drain")


from coopconc.exercises import check

check("17.1", make_poll_app)

# %% [markdown]
# **17.2 — Deliver without ever waiting.** A chat posts into many users' bounded queues; a
# full queue must not stop the post. Write `deliver(queue, message)`: put `message` into the
# bounded `queue` without blocking; when it is full, drop the *oldest* message first.
# Return how many messages were dropped (0 or 1).

# %%
# coopconc only: the exercise checker
from coopconc.queue import Queue


def deliver(queue, message):
    raise NotImplementedError("put without waiting; drop the oldest when full")


from coopconc.exercises import check

check("17.2", deliver)

# %% [markdown]
# **17.3 — A websocket app.** Write `shout(ws)`: for every text message it receives, send it
# back in upper case; when the message is `"bye"`, close the websocket with code 1000 and
# return. (The check serves your function with `coopconc.pywsgi` and `WebSocketMiddleware`
# and talks to it with a real websocket client.)

# %%
# coopconc only: the exercise checker
def shout(ws):
    raise NotImplementedError("receive, send back upper-cased, close on 'bye'")


from coopconc.exercises import check

check("17.3", shout)
