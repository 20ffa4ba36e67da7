"""A supervisor learns that an actor crashed through link_exception, and restarts it."""

import gevent
from gevent.queue import Queue


class Worker(gevent.Greenlet):
    def __init__(self, name, inbox):
        gevent.Greenlet.__init__(self)
        self.name = name
        self.inbox = inbox

    def _run(self):
        while True:
            message = self.inbox.get()
            if message == "stop":
                return "stopped"
            if message == "crash":
                raise RuntimeError(self.name + " crashed")
            print(self.name, "handled", message)
            gevent.sleep(0)


crashes = []
inbox = Queue()


def on_crash(dead):
    crashes.append(dead.name)
    print(f"supervisor: {dead.name} died of {dead.exception!r}")
    if len(crashes) < 3:
        start(f"worker-{len(crashes) + 1}")


def start(name):
    w = Worker(name, inbox)
    w.link_exception(on_crash)
    w.start()
    workers.append(w)
    return w


workers = []
start("worker-1")
for message in ["a", "b", "crash", "c", "crash", "d", "stop"]:
    inbox.put(message)
gevent.sleep(0.05)
print("crashes:", crashes)
print("states:", [(w.name, w.dead, w.successful()) for w in workers])
print("last value:", workers[-1].value)
