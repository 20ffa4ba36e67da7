"""An exception in a greenlet stays in that greenlet: it is stored, the caller carries on,
get() re-raises it, join() does not, joinall(raise_error=True) does."""

import gevent


def boom(msg):
    raise RuntimeError(msg)


def slow_boom(msg):
    gevent.sleep(0.01)
    raise RuntimeError(msg)


g = gevent.spawn(boom, "first")
print("spawned; main carries on")
g.join()
print("join() returned quietly; exception:", repr(g.exception))
try:
    g.get()
except RuntimeError as e:
    print("get() re-raised:", e)
try:
    gevent.spawn(slow_boom, "waited").get()
except RuntimeError as e:
    print("get() waited and re-raised:", e)

fine = gevent.spawn(gevent.sleep, 0.02)
bad = gevent.spawn(slow_boom, "in joinall")
try:
    gevent.joinall([fine, bad], raise_error=True)
except RuntimeError as e:
    print("joinall(raise_error=True) raised:", e, "fine still running:", not fine.ready())
fine.join()
print("joinall without raise_error:", [x.successful() for x in gevent.joinall([fine, bad])])


class Custom(Exception):
    pass


def custom():
    raise Custom("mine")


c = gevent.spawn(custom)
gevent.sleep(0)
print("custom:", type(c.exception).__name__, c.exception.args, c.successful())


# an exception caught inside the greenlet is not an error
def careful():
    try:
        boom("caught")
    except RuntimeError:
        return "handled"


print("careful:", gevent.spawn(careful).get())


# GreenletExit raised by the function itself counts as success; its value is the exception
def quits():
    raise gevent.GreenletExit("bye")


q = gevent.spawn(quits)
q.join()
print("GreenletExit:", q.successful(), repr(q.value), q.exception)
