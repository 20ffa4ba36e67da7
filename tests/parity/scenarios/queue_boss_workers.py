"""The source's Queue examples: boss and workers, unbounded then bounded; nowait; timeouts."""

import gevent
from gevent.queue import Empty, Full, Queue

tasks = Queue()


def worker(n):
    while not tasks.empty():
        task = tasks.get()
        print(f"Worker {n} got task {task}")
        gevent.sleep(0)
    print("Quitting time!", n)


def boss():
    for i in range(1, 13):
        tasks.put_nowait(i)


gevent.spawn(boss).join()
gevent.joinall([gevent.spawn(worker, name) for name in ("steve", "john", "nancy")])

# Bounded: the boss waits for room; workers quit after a get that times out.
tasks = Queue(maxsize=3)


def bounded_worker(name):
    try:
        while True:
            task = tasks.get(timeout=0.05)  # decrements queue size by 1
            print(f"Worker {name} got task {task}")
            gevent.sleep(0)
    except Empty:
        print("Quitting time!", name)


def bounded_boss():
    for i in range(1, 10):
        tasks.put(i)
        print("boss put", i, "size", tasks.qsize())
    print("Assigned all work in iteration 1")
    for i in range(10, 16):
        tasks.put(i)
    print("Assigned all work in iteration 2")


gevent.joinall(
    [gevent.spawn(bounded_boss)]
    + [gevent.spawn(bounded_worker, n) for n in ("steve", "john", "bob")]
)

# put_nowait on a full queue, get_nowait on an empty one.
small = Queue(1)
small.put_nowait("only")
try:
    small.put_nowait("more")
except Full:
    print("put_nowait on a full queue: Full")
print("got", small.get_nowait())
try:
    small.get_nowait()
except Empty:
    print("get_nowait on an empty queue: Empty")
try:
    small.get(timeout=0.01)
except Empty:
    print("get(timeout=0.01) on an empty queue: Empty")
small.put(1)
try:
    small.put(2, timeout=0.01)
except Full:
    print("put(timeout=0.01) on a full queue: Full")

# Getters are served in the order they waited; putters too.
q = Queue(1)
q.put("first")
putters = [gevent.spawn(q.put, name) for name in "abc"]
gevent.sleep(0)
print("full:", q.full(), "size", q.qsize())
print("order out:", [q.get() for _ in range(4)])
gevent.joinall(putters)

# A getter killed before the hub wakes it does not lose the item.
q = Queue()
victim = gevent.spawn(q.get)
gevent.sleep(0)
victim.kill(block=False)
q.put("precious")
gevent.sleep(0)
print("victim dead:", victim.dead, "item still there:", q.get_nowait())

# Iteration ends at StopIteration.
q = Queue()
for x in ["x", "y", StopIteration]:
    q.put(x)
print("iterated:", list(q))
