"""A Group of greenlets managed together (the source's 组 example): join waits for the members."""

import gevent
from gevent.pool import Group


def talk(msg):
    for _ in range(3):
        print(msg)
        gevent.sleep(0)
    return msg


g1 = gevent.spawn(talk, "bar")
g2 = gevent.spawn(talk, "foo")
g3 = gevent.spawn(talk, "fizz")

group = Group()
group.add(g1)
group.add(g2)
print("members:", len(group), g1 in group, g3 in group)
print("joined:", group.join())
print("after join:", len(group), bool(group))

group.add(g3)
print("joined again:", group.join())
print("values:", g1.value, g2.value, g3.value)

# spawn through the group, then kill what is left
group2 = Group()
sleepers = [group2.spawn(gevent.sleep, 10) for _ in range(3)]
gevent.sleep(0)
print("running:", len(group2))
group2.kill()
print("after kill:", len(group2), [g.dead for g in sleepers])
print("join with timeout on an empty group:", group2.join(timeout=0.1))

# join(timeout) that expires
group3 = Group()
slow = group3.spawn(gevent.sleep, 0.2)
print("join(timeout=0.01):", group3.join(timeout=0.01))
print("join():", group3.join(), len(group3))


# join(raise_error=True)
def boom():
    gevent.sleep(0)
    raise ValueError("boom")


group4 = Group()
group4.spawn(boom)
group4.spawn(talk, "quiet")
try:
    group4.join(raise_error=True)
except ValueError as e:
    print("join raised:", e)
