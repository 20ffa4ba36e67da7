"""The source's Event example: one setter, three waiters; plus the set/clear race."""

import gevent
from gevent.event import Event

evt = Event()


def setter():
    print("A: Hey wait for me, I have to do something")
    gevent.sleep(0.01)
    print("Ok, I'm done")
    evt.set()


def waiter(n):
    print("I'll wait for you", n)
    result = evt.wait()  # blocking
    print("It's about time", n, result)


gevent.joinall([gevent.spawn(setter)] + [gevent.spawn(waiter, n) for n in range(3)])

# set() then clear() before the waiters run: they still wake, and wait() says True.
race = Event()
woken = []
gs = [gevent.spawn(lambda n=n: woken.append((n, race.wait()))) for n in range(3)]
gevent.sleep(0)
race.set()
race.clear()
gevent.joinall(gs)
print("woken after set+clear:", woken, "flag now:", race.is_set())

# A waiter arriving while the notification is pending queues up behind the others.
late = Event()
order = []


def early(n):
    late.wait()
    order.append(f"early{n}")


gs = [gevent.spawn(early, n) for n in range(2)]
gevent.sleep(0)
late.set()
gs.append(gevent.spawn(lambda: (late.wait(), order.append("late"))))
order.append("setter goes on")
gevent.joinall(gs)
print("order:", order)

# Timeouts and rawlink.
print("wait(0.01) on unset:", Event().wait(0.01))
linked = Event()
linked.rawlink(lambda ev: print("rawlink called, set:", ev.is_set()))
linked.set()
print("after set, before the hub ran")
gevent.sleep(0)
