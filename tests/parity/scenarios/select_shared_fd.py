"""Several greenlets select (and poll) on the same socket: one write wakes every one of them."""

import gevent
from gevent import select, socket

a, b = socket.socketpair()
woken = []


def by_select(name):
    r, w, x = select.select([a], [], [], 5)
    woken.append((name, "select", r == [a]))


def by_poll(name):
    p = select.poll()
    p.register(a, select.POLLIN)
    woken.append((name, "poll", p.poll(5000) == [(a.fileno(), select.POLLIN)]))


waiting = [gevent.spawn(by_select, "s1"), gevent.spawn(by_poll, "p1")]
waiting += [gevent.spawn(by_select, "s2"), gevent.spawn(by_poll, "p2")]
gevent.sleep(0.01)
print("woken before the write:", woken)
b.sendall(b"x")
gevent.joinall(waiting, timeout=5)
for entry in sorted(woken):
    print("woken:", *entry)
print("all finished:", all(g.successful() for g in waiting))

# one of two waiters gives up; the other is still woken
patient = gevent.spawn(select.select, [a, b], [], [], 5)
a.recv(10)
impatient = gevent.spawn(select.select, [a], [], [], 0.01)
gevent.sleep(0)
print("impatient gives up:", impatient.get(timeout=5))
b.sendall(b"y")
r, w, x = patient.get(timeout=5)
print("patient sees:", [s is a for s in r], w, x)
a.close()
b.close()
