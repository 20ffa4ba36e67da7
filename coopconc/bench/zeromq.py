"""Benchmarks of green ZeroMQ: coopconc.zmq against pyzmq's zmq.green (issue 11).

Both ends live in one process, each in its own greenlet, over tcp on 127.0.0.1 (the source's
REQ/REP example, timed). Each blocking call is a NOBLOCK attempt and, when ZeroMQ says Again,
a wait in the hub on the socket's zmq.FD -- that path, and the EVENTS checks around it, is what
is being timed, along with libzmq's I/O thread and the loopback.
"""

from __future__ import annotations

import importlib
import time

from coopconc.bench import benchmark


def _green_zmq(lib):
    """coopconc.zmq for coopconc, zmq.green for gevent."""
    return lib.sub("zmq") if lib.name == "coopconc" else importlib.import_module("zmq.green")


def _connected(zmq, bind_type, connect_type):
    ctx = zmq.Context()
    bound = ctx.socket(bind_type)
    port = bound.bind_to_random_port("tcp://127.0.0.1")
    connected = ctx.socket(connect_type)
    connected.connect(f"tcp://127.0.0.1:{port}")
    return ctx, bound, connected


def _close(ctx, *sockets):
    for sock in sockets:
        sock.close(0)
    ctx.term()


@benchmark("zmq REQ/REP round trip", unit="round trip", n=5_000)
def req_rep(lib, n):
    """A REP greenlet echoes n requests of a REQ greenlet in the same process; one op = one
    request and its reply (four calls, two waits)."""
    zmq = _green_zmq(lib)
    ctx, rep, req = _connected(zmq, zmq.REP, zmq.REQ)
    payload = b"x" * 64

    def server():
        recv, send = rep.recv, rep.send
        for _ in range(n):
            send(recv())

    def client():
        recv, send = req.recv, req.send
        for _ in range(n):
            send(payload)
            recv()

    req.send(b"warm-up")  # the connection is made before the clock starts
    rep.send(rep.recv())
    req.recv()
    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(server), lib.mod.spawn(client)], raise_error=True)
    elapsed = time.perf_counter() - t0
    _close(ctx, rep, req)
    return elapsed


@benchmark("zmq PUSH/PULL messages", unit="message", n=100_000)
def push_pull(lib, n):
    """A PUSH greenlet sends n small messages that a PULL greenlet receives (the high-water
    marks make the sender wait whenever the receiver falls behind); one op = one message."""
    zmq = _green_zmq(lib)
    ctx, pull, push = _connected(zmq, zmq.PULL, zmq.PUSH)
    push.send(b"warm-up")
    pull.recv()

    def producer():
        send = push.send
        for _ in range(n):
            send(b"m")

    def consumer():
        recv = pull.recv
        for _ in range(n):
            recv()

    t0 = time.perf_counter()
    lib.mod.joinall([lib.mod.spawn(consumer), lib.mod.spawn(producer)], raise_error=True)
    elapsed = time.perf_counter() - t0
    _close(ctx, pull, push)
    return elapsed
