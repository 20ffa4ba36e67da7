"""A Pool(2) limits concurrency: spawn waits while the pool is full (the source's 池 example)."""

import gevent
from gevent.pool import Pool, PoolFull

pool = Pool(2)


def hello_from(n):
    print("job", n, "starts: size of pool", len(pool), "free", pool.free_count())
    gevent.sleep(0.01 * (n % 3 + 1))
    print("job", n, "ends")
    return n


print(pool.map(hello_from, range(5)))
print("free after map:", pool.free_count(), "full:", pool.full())

# spawn by hand: the third spawn waits for a slot
jobs = []
for n in range(4):
    print("spawning", n, "free", pool.free_count(), "full", pool.full())
    jobs.append(pool.spawn(hello_from, n))
    print("spawned", n)
pool.join()
print("values:", [g.value for g in jobs])

# add(blocking=False) on a full pool raises PoolFull; add(timeout=) too
blockers = [pool.spawn(gevent.sleep, 0.05) for _ in range(2)]
try:
    pool.add(gevent.Greenlet(print, "never"), blocking=False)
except PoolFull:
    print("PoolFull (non-blocking)")
try:
    pool.add(gevent.Greenlet(print, "never"), timeout=0.01)
except PoolFull:
    print("PoolFull (timeout)")
print("wait_available:", pool.wait_available(), "free", pool.free_count())
pool.join()

# wait_available with a timeout on a full pool
pool.spawn(gevent.sleep, 0.05)
pool.spawn(gevent.sleep, 0.05)
print("wait_available(timeout):", pool.wait_available(timeout=0.01))
pool.kill()
print("killed, free:", pool.free_count())

# many producers wait in spawn; they get slots in the order they asked
order = []


def producer(name):
    pool.spawn(gevent.sleep, 0.01)
    order.append(name)


producers = [gevent.spawn(producer, name) for name in "abcdef"]
gevent.joinall(producers)
print("producers got slots in order:", "".join(order))
pool.join()

# a producer killed while waiting in spawn does not leak a slot
pool.spawn(gevent.sleep, 0.02)
pool.spawn(gevent.sleep, 0.02)
waiting = gevent.spawn(pool.spawn, print, "never printed")
gevent.sleep(0)
waiting.kill()
pool.join()
print("after kill of a waiter: free", pool.free_count(), "len", len(pool))
g = pool.spawn(lambda: "ok")
g2 = pool.spawn(lambda: "ok2")
pool.join()
print(g.value, g2.value, pool.free_count())

# an unbounded pool
unbounded = Pool()
print("unbounded free_count:", unbounded.free_count(), "full:", unbounded.full())
print(unbounded.map(lambda x: x + 1, range(5)))
