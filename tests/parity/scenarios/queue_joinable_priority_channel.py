"""JoinableQueue task accounting, PriorityQueue/LifoQueue order, and the zero-size Channel."""

import gevent
from gevent.queue import Channel, Empty, JoinableQueue, LifoQueue, PriorityQueue

jq = JoinableQueue()


def consumer(name):
    while True:
        item = jq.get()
        gevent.sleep(0)
        print(name, "handled", item)
        jq.task_done()


workers = [gevent.spawn(consumer, n) for n in ("c1", "c2")]
for item in range(5):
    jq.put(item)
print("unfinished before join:", jq.unfinished_tasks)
jq.join()
print("joined; unfinished:", jq.unfinished_tasks)
gevent.killall(workers)
try:
    jq.task_done()
except ValueError:
    print("task_done too often: ValueError")

pq = PriorityQueue()
for item in [(3, "low"), (1, "urgent"), (2, "normal")]:
    pq.put(item)
print("priority order:", [pq.get() for _ in range(3)])
lq = LifoQueue()
for item in "abc":
    lq.put(item)
print("lifo order:", [lq.get() for _ in range(3)])

ch = Channel()


def sender():
    for item in ("ping", "pong"):
        print("sender offers", item)
        ch.put(item)
        print("sender handed over", item)


def receiver():
    for _ in range(2):
        print("receiver got", ch.get())
        gevent.sleep(0)


gevent.joinall([gevent.spawn(sender), gevent.spawn(receiver)])
try:
    ch.get(timeout=0.01)
except Empty:
    print("channel get timed out: Empty")
