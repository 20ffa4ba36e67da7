"""gevent.pywsgi: how connections end, Expect: 100-continue, and start_response's exc_info.

Raw HTTP/1.1 and HTTP/1.0 requests; what is printed is what a client can rely on: status
codes, bodies, whether a 100 Continue came first, whether the server closed the connection.
"""

import sys

from gevent import socket
from gevent.pywsgi import WSGIServer


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/upload":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"got " + body]
    if path == "/replace":
        start_response("200 OK", [("X-Step", "first")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("503 Service Unavailable", [("X-Step", "second")], sys.exc_info())
        return [b"try later"]
    if path == "/lines":
        lines = list(environ["wsgi.input"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"%d lines, last %r" % (len(lines), lines[-1])]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def talk(raw, pause_after_head=False):
    """Send ``raw``; return everything received until the server closes (or 2 s of silence)."""
    sock = socket.create_connection(("127.0.0.1", server.server_port))
    sock.settimeout(2)
    head, _, body = raw.partition(b"\r\n\r\n")
    if pause_after_head:
        sock.sendall(head + b"\r\n\r\n")
        first = sock.recv(100)
        print("  before the body the server said:", first.split(b"\r\n")[0])
        sock.sendall(body)
    else:
        sock.sendall(raw)
    data = b""
    closed = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    sock.close()
    return data, closed


def show(title, data, closed):
    statuses = [
        line.split(b" ")[1].decode() for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.")
    ]
    bodies = [part.split(b"\r\n\r\n", 1)[-1] for part in data.split(b"HTTP/1.")[1:]]
    print(title)
    print("  statuses:", statuses, "closed by server:", closed)
    for body in bodies:
        print("  body:", body[-40:])


server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None)
server.start()

show("HTTP/1.0", *talk(b"GET / HTTP/1.0\r\n\r\n"))
show("Connection: close", *talk(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
data, closed = talk(
    b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
    b"Connection: close\r\n\r\ndata",
    pause_after_head=True,
)
show("Expect: 100-continue, body read by the app", data, closed)
show(
    "exc_info replaces the headers",
    *talk(b"GET /replace HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
)
data, _ = talk(b"GET /replace HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
print("  X-Step:", [line for line in data.split(b"\r\n") if line.startswith(b"X-Step")])
show(
    "iterating wsgi.input by lines (chunked upload)",
    *talk(
        b"POST /lines HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"6\r\none\ntw\r\n6\r\no\nthre\r\n2\r\ne\n\r\n0\r\n\r\n"
    ),
)
server.stop()
