"""The source's Actors example: a Greenlet subclass with a Queue inbox; ping/pong between two."""

import gevent
from gevent import Greenlet
from gevent.queue import Queue


class Actor(gevent.Greenlet):
    def __init__(self, name):
        self.inbox = Queue()
        Greenlet.__init__(self)
        self.name = name

    def receive(self, message):
        raise NotImplementedError()

    def _run(self):
        self.running = True
        while self.running:
            message = self.inbox.get()
            self.receive(message)


class Pinger(Actor):
    def receive(self, message):
        print(self.name, "got", message)
        if message == "stop":
            self.running = False
            return
        pong.inbox.put("ping")
        gevent.sleep(0)


class Ponger(Actor):
    rounds = 0

    def receive(self, message):
        print(self.name, "got", message)
        self.rounds += 1
        if self.rounds == 4:
            self.running = False
            ping.inbox.put("stop")
            return
        ping.inbox.put("pong")
        gevent.sleep(0)


ping = Pinger("ping")
pong = Ponger("pong")
ping.start()
pong.start()
ping.inbox.put("start")
gevent.joinall([ping, pong])
print("both done:", ping.dead, pong.dead, ping.successful(), pong.successful())
