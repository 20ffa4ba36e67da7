"""The source's AsyncResult example, plus an exception handed over and link targets."""

import gevent
from gevent import Timeout
from gevent.event import AsyncResult

a = AsyncResult()


def setter():
    # After 0.01 seconds set the result of a.
    gevent.sleep(0.01)
    a.set("Hello!")


def waiter(n):
    # After 0.01 seconds the waiter will be woken up by the setter.
    print("waiter", n, "got", a.get())


gevent.joinall([gevent.spawn(setter), gevent.spawn(waiter, 1), gevent.spawn(waiter, 2)])
print("ready:", a.ready(), "successful:", a.successful(), "value:", a.value)

# An exception handed over.
b = AsyncResult()


def failing_setter():
    gevent.sleep(0)
    b.set_exception(KeyError("no such user"))


def catcher():
    try:
        b.get()
    except KeyError as ex:
        print("catcher caught", repr(ex))
    print("wait() on an exception returns", b.wait())


gevent.joinall([gevent.spawn(failing_setter), gevent.spawn(catcher)])
print("successful:", b.successful(), "exception:", repr(b.exception))

# Not ready yet: get_nowait / timeout raise Timeout; wait(timeout) returns None.
c = AsyncResult()
for attempt in ("get_nowait", "get(timeout)"):
    try:
        c.get_nowait() if attempt == "get_nowait" else c.get(timeout=0.01)
    except Timeout:
        print(attempt, "raised Timeout")
print("wait(0.01) returned", c.wait(0.01))

# As a link target.
ok, bad = AsyncResult(), AsyncResult()
gevent.spawn(lambda: 6 * 7).link(ok)
g = gevent.spawn(lambda: [][1])
g.link(bad)
print("link value:", ok.get())
try:
    bad.get()
except IndexError as ex:
    print("link exception:", type(ex).__name__)
