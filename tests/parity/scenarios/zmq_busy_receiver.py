"""Thousands of messages arrive while the receiver is busy: all of them are received.

The trap: zmq.FD rings once for the whole batch; a green recv that slept on the fd without
asking zmq.EVENTS first would sleep forever with messages waiting.
"""

import time

import gevent
import zmq.green as zmq

ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
push = ctx.socket(zmq.PUSH)
push.connect(f"tcp://127.0.0.1:{port}")
N = 5000


def receiver():
    first = pull.recv()
    time.sleep(0.2)  # busy: does not let the hub run, while the rest arrives
    got = [first]
    for _ in range(N - 1):
        got.append(pull.recv())
    return got


def sender():
    for i in range(N):
        push.send(b"%d" % i)


r = gevent.spawn(receiver)
gevent.spawn(sender)
with gevent.Timeout(30):
    got = r.get()
print("received", len(got), "in order:", got == [b"%d" % i for i in range(N)])
print("nothing left:", pull.poll(50) == 0)
pull.close(0)
push.close(0)
ctx.term()
