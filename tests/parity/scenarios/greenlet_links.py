"""Links: link, link_value, link_exception, rawlink and unlink, and the order they run in."""

import gevent

log = []


def ok(x):
    gevent.sleep(0.01)
    return x


def bad():
    gevent.sleep(0.01)
    raise ValueError("bad")


def on_any(g):
    log.append(f"link({g.name}) value={g.value!r} successful={bool(g.successful())}")


def on_value(g):
    log.append(f"link_value({g.name}) value={g.value!r}")


def on_error(g):
    log.append(f"link_exception({g.name}) {g.exception!r}")


def raw(g):
    log.append(f"rawlink({g.name})")


def removed(g):
    log.append("never: unlinked")


good = gevent.spawn(ok, 42)
good.name = "good"
fail = gevent.spawn(bad)
fail.name = "fail"
for g in (good, fail):
    g.link(on_any)
    g.link_value(on_value)
    g.link_exception(on_error)
    g.rawlink(raw)
    g.rawlink(removed)
    g.unlink(removed)
    print(g.name, "has_links:", g.has_links())
gevent.joinall([good, fail])
print("joinall woke after the greenlets died; the links so far:")
for line in log:
    print("  ", line)
gevent.sleep(0.01)
print("after a while:")
for line in log:
    print("  ", line)

# linking to a greenlet that is already dead still calls the link (on the next turn)
log.clear()
good.link(on_any)
good.rawlink(raw)
print("linked to a dead greenlet:", log)
gevent.sleep(0)
print("next turn:", log)

# joiners and links are woken in the order they were added
order = []
target = gevent.spawn(ok, "t")


def joiner(name):
    target.join()
    order.append(name)


js = [gevent.spawn(joiner, n) for n in ("j1", "j2")]
gevent.sleep(0)
target.rawlink(lambda g: order.append("rawlink"))
js.append(gevent.spawn(joiner, "j3"))
gevent.joinall(js)
print("wake order:", order)


# a link that blocks runs in its own greenlet
def slow_link(g):
    gevent.sleep(0.01)
    print("slow link done for", g.value)


g = gevent.spawn(ok, "slow")
g.link(slow_link)
g.join()
print("joined before slow link finished")
gevent.sleep(0.02)
