"""Timeouts, NOBLOCK, and closing a socket under a waiting greenlet."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
port = rep.bind_to_random_port("tcp://127.0.0.1")
req = ctx.socket(zmq.REQ)
req.connect(f"tcp://127.0.0.1:{port}")

try:
    rep.recv(zmq.NOBLOCK)
except zmq.Again as exc:
    print("NOBLOCK with nothing there: Again, errno EAGAIN:", exc.errno == zmq.EAGAIN)

try:
    with gevent.Timeout(0.05):
        rep.recv()
except gevent.Timeout:
    print("Timeout around recv: cancelled")

# The socket still works after the cancelled wait.
server = gevent.spawn(lambda: rep.send(rep.recv() + b"!"))
req.send(b"still alive")
print("after the timeout:", req.recv())
server.join()

pull = ctx.socket(zmq.PULL)
pull.bind_to_random_port("tcp://127.0.0.1")


def wait_forever():
    try:
        pull.recv()
    except zmq.ZMQError as exc:
        return f"ZMQError {zmq.ZMQError.__name__}, ENOTSOCK: {exc.errno == zmq.ENOTSOCK}"
    return "got a message?"


waiting = gevent.spawn(wait_forever)
gevent.sleep(0.05)
print("waiter still waiting:", not waiting.ready())
pull.close()
print("closed under the waiter:", waiting.get(timeout=5))
print("closed:", pull.closed)
rep.close(0)
req.close(0)
ctx.term()
