"""map and imap keep input order; imap_unordered yields in completion order (the source's 组 example)."""

import gevent
from gevent.pool import Group

group = Group()


def hello_from(n):
    print("Size of group", len(group), "hello from", n)
    return n * 10


print(group.map(hello_from, range(3)))


def intensive(n):
    gevent.sleep(0.03 - n * 0.01)
    return ("task", n)


print("Ordered")
ogroup = Group()
for i in ogroup.imap(intensive, range(3)):
    print(i)

print("Unordered")
igroup = Group()
for i in igroup.imap_unordered(intensive, range(3)):
    print(i)

print("map of two iterables:", list(Group().imap(lambda a, b: a + b, [1, 2, 3], [10, 20, 30])))


DURATIONS = [0.1, 0.04, 0.02, 0.08, 0.03]  # no two tasks end within 10 ms of each other


def slow_square(x):
    print("start", x)
    gevent.sleep(DURATIONS[x])
    print("end", x)
    return x * x


print("unordered with maxsize=1:", list(Group().imap_unordered(slow_square, range(5), maxsize=1)))
print("apply:", group.apply(max, (3, 7)))
async_result = group.apply_async(sum, ([1, 2, 3],), callback=lambda v: print("callback got", v))
print("apply_async:", async_result.get())
gevent.sleep(0)
mapped = group.map_async(abs, [-1, -2], callback=lambda v: print("map_async callback", v))
print("map_async:", mapped.get())
gevent.sleep(0)


def fails(x):
    if x == 2:
        raise KeyError(x)
    return x


try:
    for value in Group().imap(fails, range(4)):
        print("imap value", value)
except KeyError as e:
    print("imap raised KeyError", e)
