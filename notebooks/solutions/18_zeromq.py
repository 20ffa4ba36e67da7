"""Worked solutions for notebook 18 (ZeroMQ), for teachers; and plausible wrong answers.

tests/test_exercises.py checks that each solution passes its checker and that the stub,
an empty answer and each wrong answer fail.
"""

import zmq as plain_zmq

import coopconc
import coopconc.zmq as zmq
from coopconc.socket import wait_read


def ask_all(ctx, address, requests):
    """18.1: one REQ socket per request, each in its own greenlet; replies in request order."""

    def ask(request):
        with ctx.socket(zmq.REQ) as sock:
            sock.connect(address)
            sock.send(request)
            return sock.recv()

    jobs = [coopconc.spawn(ask, request) for request in requests]
    coopconc.joinall(jobs, raise_error=True)
    return [job.value for job in jobs]


def green_recv(sock):
    """18.2: ask EVENTS before every sleep; sleep on the fd only when nothing is there."""
    while not sock.getsockopt(plain_zmq.EVENTS) & plain_zmq.POLLIN:
        wait_read(sock.getsockopt(plain_zmq.FD))
    return sock.recv(plain_zmq.NOBLOCK)


def green_recv_try_first(sock):
    """18.2, another right answer: try NOBLOCK first; Again has already silenced the fd."""
    while True:
        try:
            return sock.recv(plain_zmq.NOBLOCK)
        except plain_zmq.Again:
            wait_read(sock.getsockopt(plain_zmq.FD))


# -- wrong answers ------------------------------------------------------------------------------


def ask_all_one_by_one(ctx, address, requests):
    """Right replies, but one request at a time."""
    replies = []
    with ctx.socket(zmq.REQ) as sock:
        sock.connect(address)
        for request in requests:
            sock.send(request)
            replies.append(sock.recv())
    return replies


def ask_all_shared_socket(ctx, address, requests):
    """Greenlets sharing one REQ socket: its send/recv lock-step breaks (EFSM)."""
    sock = ctx.socket(zmq.REQ)
    sock.connect(address)

    def ask(request):
        sock.send(request)
        return sock.recv()

    try:
        jobs = [coopconc.spawn(ask, request) for request in requests]
        coopconc.joinall(jobs, raise_error=True)
        return [job.value for job in jobs]
    finally:
        sock.close(0)


def ask_all_unordered(ctx, address, requests):
    """Concurrent, but the replies in the order they arrived, sorted: not the request order."""
    return sorted(ask_all(ctx, address, requests))


def green_recv_wait_first(sock):
    """Takes the fd for "readable": sleeps first, then takes one message."""
    wait_read(sock.getsockopt(plain_zmq.FD))
    return sock.recv(plain_zmq.NOBLOCK)


def green_recv_blocking(sock):
    """The plain recv: blocks the whole thread."""
    return sock.recv()


def green_recv_spinning(sock):
    """Polls with NOBLOCK and sleep(0): right answers, but the CPU never rests."""
    while True:
        try:
            return sock.recv(plain_zmq.NOBLOCK)
        except plain_zmq.Again:
            coopconc.sleep(0)


SOLUTIONS = {"18.1": ask_all, "18.2": green_recv}
ALSO_RIGHT = {"18.2": [green_recv_try_first]}
WRONG = {
    "18.1": [ask_all_one_by_one, ask_all_shared_socket, ask_all_unordered],
    "18.2": [green_recv_wait_first, green_recv_blocking, green_recv_spinning],
}
