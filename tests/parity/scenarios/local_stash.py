"""The source's greenlet-local example, a subclass with __init__, and a request proxy."""

import gevent
from gevent.local import local

stash = local()


def f1():
    stash.x = 1
    print(stash.x)


def f2():
    stash.y = 2
    print(stash.y)
    try:
        _ = stash.x
    except AttributeError:
        print("x is not local to f2")


g1 = gevent.spawn(f1)
g2 = gevent.spawn(f2)
gevent.joinall([g1, g2])


class Settings(local):
    def __init__(self, level):
        print("Settings.__init__ runs for this greenlet")
        self.level = level


settings = Settings("info")


def worker(name, level):
    print(name, "starts with", settings.level)
    settings.level = level
    gevent.sleep(0)
    print(name, "still has", settings.level)


gevent.joinall([gevent.spawn(worker, "w1", "debug"), gevent.spawn(worker, "w2", "error")])
print("main has", settings.level)

# A tiny Flask-style request proxy: one global name, a different request per greenlet.
_ctx = local()


class RequestProxy:
    def __getattr__(self, name):
        return getattr(_ctx.request, name)


request = RequestProxy()


class Request:
    def __init__(self, path):
        self.path = path


def handle(path):
    _ctx.request = Request(path)
    gevent.sleep(0)
    print("handling", request.path)


gevent.joinall([gevent.spawn(handle, p) for p in ("/", "/users", "/about")])
