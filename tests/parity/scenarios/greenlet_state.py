"""Greenlet state: started, ready(), successful(), value, exception -- the winner and the loser."""

import gevent


def win():
    return "You win!"


def fail():
    raise Exception("You fail at failing.")


winner = gevent.spawn(win)
loser = gevent.spawn(fail)


def show(label):
    for name, g in (("winner", winner), ("loser", loser)):
        print(
            label,
            name,
            "started:",
            bool(g.started),
            "ready:",
            bool(g.ready()),
            "successful:",
            bool(g.successful()),
            "dead:",
            bool(g.dead),
        )


show("before:")
try:
    gevent.joinall([winner, loser])
except Exception as e:
    print("This will never be reached", e)
show("after:")
print("winner.value:", winner.value)
print("loser.value:", loser.value)
print("winner.exception:", winner.exception)
print("loser.exception:", repr(loser.exception))
try:
    loser.get()
except Exception as e:
    print("loser.get() re-raises:", repr(e))
print("winner.get():", winner.get())

fresh = gevent.Greenlet(win)
print("fresh: started", bool(fresh.started), "ready", bool(fresh.ready()), "dead", fresh.dead)
print("fresh: value", fresh.value, "exception", fresh.exception)
fresh.start()
print("after start(): started", bool(fresh.started), "ready", bool(fresh.ready()))
fresh.join()
print(
    "after join(): started", bool(fresh.started), "ready", bool(fresh.ready()), "dead", fresh.dead
)


def sleeper():
    gevent.sleep(0.05)


s = gevent.spawn(sleeper)
gevent.sleep(0)
print("sleeping: started", bool(s.started), "ready", bool(s.ready()), "dead", s.dead)
s.join()

named = gevent.spawn(win)
named.name = "the-winner"
print("name:", named.name)
named.join()
