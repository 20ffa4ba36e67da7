"""Timeout: start/cancel/pending, as a context manager, silent (False), custom exceptions,
start_new, with_timeout, and as the timeout= of join/get."""

import gevent
from gevent import Timeout

# the tutorial's example: a Timeout interrupts a function that waits too long
seconds = 0.01
timeout = Timeout(seconds)
timeout.start()


def wait():
    gevent.sleep(0.1)


try:
    gevent.spawn(wait).join()
except Timeout:
    print("Could not complete")
finally:
    timeout.cancel()

t = Timeout(0.01)
print("new:", t.pending, str(t))
t.start()
print("started:", t.pending)
try:
    t.start()
except AssertionError:
    print("a second start() is an error")
t.cancel()
print("cancelled:", t.pending)
gevent.sleep(0.02)
print("nothing raised after cancel")
t.start()
try:
    gevent.sleep(0.05)
except Timeout as e:
    print("raised itself:", e is t, str(e), t.pending)
t.close()

with Timeout(0.01, False):
    gevent.sleep(0.05)
    print("never printed")
print("silent timeout left the block")

try:
    with Timeout(0.01) as t2:
        gevent.sleep(0.05)
except Timeout as e:
    print("context manager raised:", e is t2, str(e))

with Timeout(0.05) as t3:
    gevent.sleep(0.001)
print("finished in time; pending after the block:", t3.pending)


class TooLong(Exception):
    pass


try:
    with Timeout(0.01, TooLong):
        gevent.sleep(0.05)
except TooLong as e:
    print("custom class:", type(e).__name__)
try:
    with Timeout(0.01, TooLong("slow thing")):
        gevent.sleep(0.05)
except TooLong as e:
    print("custom instance:", e)
try:
    with Timeout(0.01, "a message"):
        gevent.sleep(0.05)
except Timeout as e:
    print("string exception:", str(e))

print("str:", [str(Timeout(1)), str(Timeout(2)), str(Timeout(1, False)), str(Timeout(0.5, "m"))])
print("str of None:", repr(str(Timeout())))
t4 = Timeout.start_new(0.01)
print("start_new pending:", t4.pending)
try:
    gevent.sleep(0.05)
except Timeout as e:
    print("start_new raised:", e is t4)
t5 = Timeout(0.5)
print("start_new(existing) returns it:", Timeout.start_new(t5) is t5, t5.pending)
t5.cancel()


def slow(x):
    gevent.sleep(0.05)
    return x


print("with_timeout value:", gevent.with_timeout(0.01, slow, 1, timeout_value="too slow"))
print("with_timeout in time:", gevent.with_timeout(0.1, slow, 2))
try:
    gevent.with_timeout(0.01, slow, 3)
except Timeout:
    print("with_timeout raised Timeout")

g = gevent.spawn(slow, "late")
g.join(timeout=0.01)
print("join(timeout) returned None, ready:", g.ready())
try:
    g.get(timeout=0.01)
except Timeout:
    print("get(timeout) raised Timeout")
try:
    g.get(block=False)
except Timeout:
    print("get(block=False) raised Timeout")
print("get() at last:", g.get())
print("Timeout(None) never fires:", end=" ")
with Timeout(None):
    gevent.sleep(0.01)
print("ok")


# a timeout that fires while the greenlet is waiting for another greenlet
def inner():
    try:
        gevent.sleep(0.1)
    except gevent.GreenletExit:
        print("inner killed")
        raise


g = gevent.spawn(inner)
try:
    with Timeout(0.01):
        g.join()
except Timeout:
    print("join interrupted; inner ready:", g.ready())
g.kill()
print("comparisons:", Timeout(1) < 2, Timeout(1) < Timeout(2))
