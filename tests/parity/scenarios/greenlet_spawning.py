"""Spawning greenlets: Greenlet(fn, arg).start(), Greenlet.spawn, gevent.spawn, and a subclass."""

import gevent
from gevent import Greenlet


def foo(message, n):
    gevent.sleep(n)
    print(message)
    return message.upper()


thread1 = Greenlet.spawn(foo, "Hello", 0.01)
thread2 = gevent.spawn(foo, "I live!", 0.02)
thread3 = Greenlet(foo, "not started yet", 0)
print("thread3 started before start():", bool(thread3.started))
thread3.start()
thread3.start()  # a second start is a no-op
print("thread3 started after start():", bool(thread3.started))
gevent.joinall([thread1, thread2, thread3])
print([t.value for t in (thread1, thread2, thread3)])


class MyGreenlet(Greenlet):
    def __init__(self, message, n):
        Greenlet.__init__(self)
        self.message = message
        self.n = n

    def _run(self):
        print(self.message)
        gevent.sleep(self.n)
        return len(self.message)


g = MyGreenlet("Hi there!", 0.01)
g.start()
g.join()
print("subclass value:", g.value, "successful:", g.successful())

g2 = MyGreenlet.spawn("spawned by the classmethod", 0)
print("classmethod gives the subclass:", type(g2).__name__)
print("get():", g2.get())

later = Greenlet.spawn_later(0.02, foo, "spawn_later ran", 0)
soon = gevent.spawn_later(0.01, foo, "gevent.spawn_later ran", 0)
g3 = Greenlet(foo, "start_later ran", 0)
g3.start_later(0.005)
gevent.joinall([later, soon, g3])
print("spawned later, values:", later.value, soon.value, g3.value)


def show(*args, **kwargs):
    print("args", args, "kwargs", sorted(kwargs.items()))


gevent.spawn(show, 1, 2, x=3).join()
raw = gevent.spawn_raw(show, "raw", y=4)
gevent.sleep(0)
print("raw greenlet dead:", raw.dead)
