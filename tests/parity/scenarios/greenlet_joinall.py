"""joinall, wait and iwait: finishing order, timeout, count, and mixed ready/unready objects."""

import gevent


def nap(name, seconds):
    gevent.sleep(seconds)
    return name


def names(gs):
    return [g.value for g in gs]


gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.03), ("b", 0.01), ("c", 0.02))]
print("joinall:", names(gevent.joinall(gs)))

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.03), ("b", 0.01), ("c", 0.5))]
done = gevent.joinall(gs, timeout=0.05)
print("joinall(timeout):", names(done), "c ready:", gs[2].ready())
gevent.killall(gs)

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.03), ("b", 0.01), ("c", 0.02))]
print("joinall(count=2):", names(gevent.joinall(gs, count=2)))
gevent.joinall(gs)

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.02), ("b", 0.01))]
print("wait:", names(gevent.wait(gs)))

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.02), ("b", 0.01), ("c", 0.03))]
for g in gevent.iwait(gs):
    print("iwait yields", g.value)

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.02), ("b", 0.01), ("c", 0.03))]
with gevent.iwait(gs, count=1) as it:
    for g in it:
        print("iwait(count=1) first:", g.value)
gevent.joinall(gs)

gs = [gevent.spawn(nap, n, s) for n, s in (("a", 0.2), ("b", 0.01))]
print("iwait(timeout):", [g.value for g in gevent.iwait(gs, timeout=0.05)])
gevent.killall(gs)

# already finished greenlets are reported first, in list order
done1 = gevent.spawn(nap, "x", 0)
done2 = gevent.spawn(nap, "y", 0)
gevent.sleep(0.001)
late = gevent.spawn(nap, "z", 0.01)
print("mixed:", names(gevent.joinall([late, done2, done1])))

print("joinall([]):", gevent.joinall([]))
print("wait() with no objects:", gevent.wait())
gevent.spawn(nap, "bg", 0.01)
print("wait() waits for everything:", gevent.wait())
print("wait(timeout) with a long sleeper:", end=" ")
bg = gevent.spawn(nap, "bg", 0.5)
print(gevent.wait(timeout=0.01))
bg.kill()
