# %% [markdown]
# # 16 · Servers — 实际应用: 简单server, WSGI Servers, 流式server (real-world use: a simple server, WSGI servers, a streaming server)
#
# **Source:** part *实际应用* (real-world use), the sections **简单server** (a simple server),
# **WSGI Servers** (*"gevent provides two WSGI servers for serving HTTP content, called from
# now on wsgi and pywsgi: gevent.wsgi.WSGIServer and gevent.pywsgi.WSGIServer"*) and
# **流式server** (a streaming server). The source moves here from the machinery to what it is
# for: servers that talk to many clients at once, each client in its own greenlet.
#
# After this notebook you can:
# - write a TCP server with `StreamServer` and watch a hundred clients served at once;
# - serve a WSGI application with `WSGIServer`, and stream a response piece by piece;
# - say, with numbers measured here, what a greenlet per connection saves compared with a
#   thread per connection -- and what it does not.

# %% [markdown]
# ## A simple server: one greenlet per client
#
# The source's simple server greets a client and talks to it over TCP. `StreamServer` calls
# `handle(socket, address)` in a new greenlet for every connection, with a socket that
# parks only that greenlet when it waits. Ours greets, then echoes every line back until
# the client hangs up. (The source writes `socket.send("Hello...")` -- a Python 2 `str`; a
# socket sends bytes, and `sendall`, not `send`, makes sure all of them go.)
#
# The cell serves 100 clients that connect at the same time. Each client sends its own line,
# reads the greeting and its echo, then waits until every client has been answered before
# it hangs up -- so at one moment all 100 connections are open together, each with its own
# handler greenlet.

# %%
import coopconc
from coopconc import socket
from coopconc.event import Event
from coopconc.server import StreamServer

open_now = [0]
most_open = [0]


def echo(sock, address):
    open_now[0] += 1
    most_open[0] = max(most_open[0], open_now[0])
    sock.sendall(b"Hello from a telnet!\n")
    while line := sock.recv(1024):  # b"": the client hung up
        sock.sendall(line)
    open_now[0] -= 1


server = StreamServer(("127.0.0.1", 0), echo)  # 127.0.0.1: this machine only
server.start()
everyone_answered = Event()
right = []


def client(n):
    sock = socket.create_connection(("127.0.0.1", server.server_port))
    sock.sendall(f"I am client {n}\n".encode())
    data = b""
    while data.count(b"\n") < 2:
        data += sock.recv(100)
    right.append(data == f"Hello from a telnet!\nI am client {n}\n".encode())
    if len(right) == 100:
        everyone_answered.set()
    everyone_answered.wait(5)
    sock.close()


coopconc.joinall([coopconc.spawn(client, n) for n in range(100)], timeout=10)
print("clients answered:", len(right))
print("every client got its own line back:", all(right))
print("connections open at the same time, at most:", most_open[0])
server.stop()

# %% [markdown]
# ## WSGI servers: a web application in a greenlet per connection
#
# WSGI (PEP 3333) is Python's contract between a web server and a web application: the
# application is a function `app(environ, start_response)`; `environ` is a dict describing
# the request (`REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, the headers as `HTTP_*`, the
# body as the file `wsgi.input`); the application calls `start_response(status, headers)`
# and returns an iterable of **bytes**, the body. Flask and Django applications are such
# functions, so any WSGI server can run them.
#
# `WSGIServer` is a `StreamServer` whose handler speaks HTTP/1.1: it reads a request, calls
# the application, writes the response, and keeps the connection for the next request. The
# cell serves the source's hello-world app and fetches it from the same cell with an
# unmodified standard-library client, `urllib`. urllib blocks its thread, so it runs in a
# thread pool: the server's greenlets keep running meanwhile.

# %%
from urllib.request import urlopen

from coopconc.pywsgi import WSGIServer
from coopconc.threadpool import ThreadPool


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<b>hello world</b>"]


server = WSGIServer(("127.0.0.1", 0), application, log=None)
server.start()
url = f"http://127.0.0.1:{server.server_port}/"
pool = ThreadPool(1)
with pool.spawn(urlopen, url, timeout=5).get() as response:
    print(response.status, response.reason)
    print("Content-Type:", response.headers["Content-Type"])
    print("Content-Length:", response.headers["Content-Length"])
    print(response.read())
pool.kill()
server.stop()

# %% [markdown]
# By default a `WSGIServer` writes one access-log line per request to `sys.stderr`, in the
# same format as gevent's: client, date, request line, status, body length, seconds.
# `log=None` (above) turns it off; any file, or a `logging.Logger`, takes it instead. Here it
# goes into a `StringIO`, and we look at everything but the date and the duration.

# %%
import io

import coopconc
from coopconc import socket
from coopconc.pywsgi import WSGIServer


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"seen: " + environ["PATH_INFO"].encode() + b"\n"]


log = io.StringIO()
server = WSGIServer(("127.0.0.1", 0), application, log=log)
server.start()
with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
    sock.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while data.count(b"seen:") < 2:  # two requests on one connection, sent together
        data += sock.recv(4096)
server.stop()
for line in log.getvalue().splitlines():
    client, _, rest = line.partition(" - - [")
    date, _, rest = rest.partition("] ")
    print(client, "- - [date]", rest.rsplit(" ", 1)[0], "[seconds]")

# %% [markdown]
# ## A streaming server: each piece sent when it is ready
#
# The source's streaming example is an application that is a *generator*: it yields
# `"<p>Hello"`, then `"World</p>"`. The server does not wait for the end: there is no
# Content-Length to announce, so it sends the response with `Transfer-Encoding: chunked`
# and sends each piece the moment the generator yields it. Between two pieces the
# generator may wait (here `coopconc.sleep`, in real life a database or a message queue):
# only its own greenlet waits.
#
# The client below reads the raw bytes and notes when each piece arrives. The printed order
# shows the hand-over: the app yields, the client gets it, the app yields the next.

# %%
import time

import matplotlib.pyplot as plt

import coopconc
from coopconc import socket
from coopconc.pywsgi import WSGIServer

t0 = time.perf_counter()
events = []  # (who, what, seconds since t0)


def streaming_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    for piece in [b"<p>Hello", b" World", b"</p>"]:
        events.append(("app", f"yields {piece!r}", time.perf_counter() - t0))
        yield piece
        coopconc.sleep(0.1)


server = WSGIServer(("127.0.0.1", 0), streaming_app, log=None)
server.start()
with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    raw = b""
    while data := sock.recv(4096):
        raw += data
        body = data.split(b"\r\n\r\n", 1)[-1]  # chunk framing: size line, data, CRLF
        pieces = [p for p in body.split(b"\r\n")[1::2] if p]
        for piece in pieces:
            events.append(("client", f"receives {piece!r}", time.perf_counter() - t0))
server.stop()
head = raw.split(b"\r\n\r\n", 1)[0]
print(head.split(b"\r\n")[0], "| chunked:", b"Transfer-Encoding: chunked" in head)
for who, what, _ in events:
    print(f"{who:>6} {what}")

fig, ax = plt.subplots(figsize=(7, 2.6))
for row, who in enumerate(["app", "client"]):
    times = [t * 1000 for w, _, t in events if w == who]
    ax.scatter(times, [row] * len(times), s=60, label=f"{who}: {'yields' if who == 'app' else 'receives'} a piece")
ax.set_yticks([0, 1], ["app (server)", "client"])
ax.set_ylim(-0.6, 2.4)
ax.set_xlabel("time since the request (ms)")
ax.set_title("a streamed response: each piece reaches the client when it is yielded")
ax.legend(loc="upper center", ncol=2, fontsize=8)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("16_streaming.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# ## Errata
#
# - **`gevent.wsgi` no longer exists.** The source lists two servers, `gevent.wsgi` and
#   `gevent.pywsgi`. Before gevent 1.0, `gevent.wsgi` wrapped libevent's C HTTP server (fast,
#   but no keep-alive, streaming or SSL); from 1.0 on it was only another name for
#   `gevent.pywsgi`, and gevent 1.3 (2018) removed it. Write
#   `from gevent.pywsgi import WSGIServer` -- or `from coopconc.pywsgi import WSGIServer` here.
# - **Binding all interfaces.** The source serves on `('', 8000)`: every network interface,
#   so anyone who can reach the machine can reach the server. Examples here bind
#   `127.0.0.1` (this machine only); open a server to the network on purpose, not by default.
#   (coopconc reads a bare port, `WSGIServer(8000, app)`, as 127.0.0.1; gevent as all.)
# - **Python 2 code.** The source's handlers `print` with the Python 2 statement and return
#   `str` bodies: `return ["<b>hello world</b>"]`, `yield "<p>Hello"`. In Python 3 a WSGI
#   body is `bytes`. A `str` body is an application error: the client gets
#   `500 Internal Server Error`, and the server's `error_log` says what went wrong:

# %%
# coopconc only: the text of coopconc.pywsgi's error message
import io

from coopconc import socket
from coopconc.pywsgi import WSGIServer


def python2_style(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return ["<b>hello world</b>"]  # str, as in Python 2


errors = io.StringIO()
server = WSGIServer(("127.0.0.1", 0), python2_style, log=None, error_log=errors)
server.start()
with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    print(sock.recv(4096).split(b"\r\n")[0])
server.stop()
print([line for line in errors.getvalue().splitlines() if line.startswith("TypeError")][0])

# %% [markdown]
# ## Greenlets against threads, measured
#
# The classic alternative to a greenlet per connection is a **thread per connection**: the
# standard library's `wsgiref` server with `ThreadingMixIn`. Both servers below run the
# same hello-world application, each in its own process, except that the application first
# waits 0.1 s -- as if it asked a database -- so that every client's request is in the
# server at the same time. Then 10, 100 and 1,000 clients (greenlets in this notebook's
# process) each send requests, a new connection per request. We measure requests per
# second and the server process's peak resident memory (`VmHWM` in `/proc/PID/status`).
#
# The stored output is a full run (`COOPCONC_FULL=1`, with 1,000 clients); a plain run
# stops at 100 clients, so that the notebook stays quick. Its numbers depend on the machine
# and on what else it is doing, so they are not compared when the notebook is re-run.

# %%
# coopconc only: the comparison helper in coopconc.bench.wsgi
# NBVAL_IGNORE_OUTPUT
# measured on this machine: requests per second and memory change from run to run
import os

import matplotlib.pyplot as plt

from coopconc.bench.wsgi import compare_with_threads

if os.environ.get("COOPCONC_FULL"):
    plan = [(10, 2), (100, 2), (1000, 2)]  # (clients, requests each)
else:
    plan = [(10, 1), (100, 1)]  # quick
rows = compare_with_threads(plan, delay=0.1)
print(f"{'server':>9} {'clients':>8} {'requests/s':>11} {'peak RSS MiB':>13}")
for row in rows:
    print(
        f"{row['server']:>9} {row['clients']:>8} {row['requests_per_s']:>11.0f} "
        f"{row['peak_rss_mib']:>13.1f}"
    )

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
for kind, label in [("coopconc", "coopconc.pywsgi (a greenlet each)"), ("threads", "wsgiref + ThreadingMixIn (a thread each)")]:
    mine = [r for r in rows if r["server"] == kind]
    clients = [r["clients"] for r in mine]
    left.plot(clients, [r["requests_per_s"] for r in mine], "o-", label=label)
    right.plot(clients, [r["peak_rss_mib"] for r in mine], "o-", label=label)
for ax in (left, right):
    ax.set_xscale("log")
    ax.set_xticks([r["clients"] for r in rows if r["server"] == "coopconc"])
    ax.set_xticklabels([str(r["clients"]) for r in rows if r["server"] == "coopconc"])
    ax.set_xlabel("concurrent clients")
left.set_ylabel("requests per second")
right.set_ylabel("server peak resident memory (MiB)")
left.set_title("throughput (each request waits 0.1 s)")
right.set_title("memory")
left.legend(fontsize=7)
fig.tight_layout()
if plt.isinteractive():
    plt.show()
else:
    fig.savefig("16_greenlets_vs_threads.png")  # run as a script: the picture is saved next to it

# %% [markdown]
# How to read it. Throughput: each request waits 0.1 s, so with n clients the best a server
# could do is 10·n requests per second. Both servers fall short of that as the clients grow:
# what limits them is the CPU (clients and servers share two cores here), not the waiting.
# Greenlets do not buy throughput in this test -- a thread asleep in `time.sleep` costs no
# CPU either, and which server comes out ahead changes from run to run. Memory: a thread per connection brings an OS stack and a
# kernel task with it; Linux hands out stack pages only as they are touched, so an idle
# thread is cheaper than its 8 MiB stack suggests, but each one still costs more than a
# greenlet. Compare how fast the two lines of the right panel climb: that slope is the price
# of one more open connection, and it is what decides how many waiting clients one process
# can hold.

# %% [markdown]
# ## How coopconc does it
#
# `coopconc.pywsgi` leaves the *reading* of HTTP to **h11**, a careful parser that does no
# I/O: the handler feeds it whatever `recv` returned and gets back events (`Request`, `Data`,
# `EndOfMessage`), or an error for a malformed request, which is answered with 400, 413, 414
# or 431 and closes only that connection. The *writing* is coopconc's own, and short. Here
# is `write`, which sends each piece of the body: the first piece leaves in the same
# `send` as the status line and headers, so a small response is one packet.

# %%
# coopconc only: coopconc's source
import inspect

from coopconc.pywsgi import WSGIHandler

print(inspect.getsource(WSGIHandler.write))

# %% [markdown]
# What to notice: `_head(None)` builds the status line and headers and decides the framing
# (Content-Length if the application gave one, chunked otherwise); `_frame` wraps a piece
# for that framing (or drops it for a `HEAD` request); `_send` is `sendall`, which parks
# only this connection's greenlet when the client reads slowly. A bytes check comes first,
# because a `str` body is the most common mistake in WSGI code that came from Python 2.

# %% [markdown]
# ## Exercises
#
# **16.1 — greet by name.** Write a WSGI application `greet(environ, start_response)`:
# `GET /hello?name=Ada` answers `200 OK`, `Content-Type: text/html`, and a page that says
# `Hello, Ada!`. The name comes from the query string (`urllib.parse.parse_qs` reads it)
# and is *text*: escape it with `html.escape` before it goes into the page. Any other path
# answers `404 Not Found`. The check serves your app and asks it over a real socket.

# %%
# coopconc only: the exercise checker
def greet(environ, start_response):
    raise NotImplementedError  # your code here


from coopconc.exercises import check

check("16.1", greet)

# %% [markdown]
# **16.2 — a countdown, streamed.** Write a WSGI application
# `countdown(environ, start_response)` that streams the lines `3`, `2`, `1`, `liftoff!`
# (each ending with `\n`) about 0.05 s apart, each line reaching the client as soon as it is
# ready. The check watches the lines arrive one by one, and serves two countdowns at the
# same time to see that one's pauses do not hold up the other.

# %%
# coopconc only: the exercise checker
def countdown(environ, start_response):
    raise NotImplementedError  # your code here


from coopconc.exercises import check

check("16.2", countdown)
