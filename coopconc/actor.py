"""Actors: greenlets that share nothing and talk only by messages.

What it is
    The actor model (made popular by Erlang) builds a program from independent *actors*. Each
    has an *inbox*; others ``send`` it messages; its main loop takes them out one at a time
    and acts on each -- by changing its own state, or by sending messages on. Since an actor
    handles one message at a time and no one else touches its state, there is nothing to lock.

    gevent has no Actor class; the source builds one in a few lines as "a Greenlet subclass
    with a Queue inside", and so does coopconc::

        class Printer(Actor):
            def receive(self, message):
                print("got", message)

        p = Printer(name="printer")
        p.start()
        p.send("hello")        # or p.inbox.put("hello")
        p.stop()               # finishes the message in hand, then ends

    When ``receive`` raises, the actor dies of that exception, like any greenlet. Whoever must
    know links to it (``actor.link_exception(callback)``). ``Supervisor`` does that for you: it
    records each crash, and starts a fresh actor in the dead one's place, handing it the same
    inbox -- so messages already sent (and those sent later through the old actor's ``send``)
    are not lost. Only the message that crashed it is.

How it is built on the hub
    Nothing new: the inbox is a ``coopconc.queue.Queue`` (an idle actor is a greenlet parked in
    ``Queue.get``), the run loop is ``Greenlet._run``, crash reports are greenlet links. The
    tracer shows an idle actor as "blocked on Queue.get".

coopconc's addition (gevent has none). Taught in notebook 15 (actors).
"""

from __future__ import annotations

from greenlet import getcurrent

from coopconc.greenlet import Greenlet
from coopconc.queue import Queue

__all__ = ["Actor", "Supervisor"]


class _Stop:
    """The message ``stop()`` sends to wake an idle actor so that it can end."""

    def __repr__(self) -> str:
        return "<stop>"


_STOP = _Stop()


class Actor(Greenlet):
    """A greenlet with an inbox: override ``receive(message)``; ``send`` it messages."""

    def __init__(self, name: str | None = None, inbox: Queue | None = None):
        Greenlet.__init__(self)
        if name is not None:
            self.name = name
        self.inbox = inbox if inbox is not None else Queue()
        self.running = True  # False once stop() was called
        self.handled = 0  # messages received so far
        self._idle = False  # True while parked in inbox.get()

    def receive(self, message) -> None:
        """Handle one message. Override this in your subclass."""
        raise NotImplementedError(
            f"{type(self).__name__}.receive(message): an Actor subclass must override "
            "receive() to say what to do with each message"
        )

    def send(self, message) -> None:
        """Put ``message`` in the inbox (never waits unless you gave a bounded inbox)."""
        self.inbox.put(message)

    def _run(self):
        inbox = self.inbox
        while self.running:
            self._idle = True
            try:
                message = inbox.get()
            finally:
                self._idle = False
            if message is _STOP:
                break
            self.receive(message)
            self.handled += 1

    def stop(self, block: bool = True, timeout=None) -> None:
        """Let the actor finish the message in hand, then end (messages still queued stay).

        ``block`` waits (at most ``timeout`` seconds) until it has ended; an actor stopping
        itself from ``receive`` does not wait.
        """
        self.running = False
        if not self:  # never started, or already dead
            if not self.dead:
                self.kill(block=False)  # not started: it never will
            return
        if self._idle:
            self.inbox.put(_STOP)  # wake it up; a busy actor sees running=False when done
        if block and getcurrent() is not self:
            self.join(timeout)

    def __repr__(self) -> str:
        name = f' "{self.__dict__["_name"]}"' if "_name" in self.__dict__ else ""
        return f"<{type(self).__name__}{name} {self.state()} inbox={self.inbox.qsize()}>"


class Supervisor:
    """Starts actors, notices when one crashes, reports it, and restarts it in its place.

    ``spawn(factory, *args, **kwargs)`` makes ``factory(*args, **kwargs)`` (an Actor), starts
    it and watches it. When it dies of an exception, the crash is added to ``crashes`` as
    ``(name, exception)``, ``on_crash(actor, exception)`` is called if given, and -- at most
    ``max_restarts`` times per actor name -- a new actor is made the same way, takes over
    the dead one's inbox and starts. ``supervisor[name]`` is the actor now running under
    that name.
    """

    def __init__(self, max_restarts: int = 3, on_crash=None):
        if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
            raise ValueError(
                f"Supervisor(max_restarts={max_restarts!r}): give an int >= 0 "
                "(how many times one actor may be restarted)"
            )
        if on_crash is not None and not callable(on_crash):
            raise TypeError(f"Supervisor(on_crash={on_crash!r}): on_crash must be callable")
        self.max_restarts = max_restarts
        self.on_crash = on_crash
        self.crashes: list = []  # (name, exception), in the order they happened
        self.restarts: dict = {}  # name -> how many times it was restarted
        self._actors: dict = {}  # name -> the actor running under that name now
        self._recipes: dict = {}  # name -> (factory, args, kwargs)

    def spawn(self, factory, *args, **kwargs) -> Actor:
        """Make an actor with ``factory(*args, **kwargs)``, start it and supervise it."""
        if not callable(factory):
            raise TypeError(f"Supervisor.spawn(factory={factory!r}): factory must be callable")
        actor = factory(*args, **kwargs)
        if not isinstance(actor, Actor):
            raise TypeError(
                f"Supervisor.spawn({factory!r}): the factory made {actor!r}, not an Actor"
            )
        if actor.name in self._actors:
            raise ValueError(
                f"Supervisor.spawn(): an actor named {actor.name!r} is already supervised; "
                "give each actor its own name"
            )
        self._recipes[actor.name] = (factory, args, kwargs)
        self.restarts[actor.name] = 0
        self._watch(actor)
        return actor

    def _watch(self, actor: Actor) -> None:
        self._actors[actor.name] = actor
        actor.link_exception(self._crashed)
        actor.start()

    def _crashed(self, actor: Actor) -> None:
        # Runs in a greenlet of its own (a link), right after the actor died of an exception.
        name = actor.name
        self.crashes.append((name, actor.exception))
        if self.on_crash is not None:
            self.on_crash(actor, actor.exception)
        if self._actors.get(name) is not actor or self.restarts[name] >= self.max_restarts:
            return
        self.restarts[name] += 1
        factory, args, kwargs = self._recipes[name]
        fresh = factory(*args, **kwargs)
        fresh.inbox = actor.inbox  # messages sent to the dead one go to its successor
        self._watch(fresh)

    def __getitem__(self, name: str) -> Actor:
        return self._actors[name]

    @property
    def actors(self) -> list:
        """The actors being supervised now (the latest under each name)."""
        return list(self._actors.values())

    def stop_all(self, timeout=None) -> None:
        """Stop every supervised actor (each finishes the message in hand) and wait."""
        for actor in self.actors:
            actor.stop(block=False)
        for actor in self.actors:
            actor.join(timeout)

    def __repr__(self) -> str:
        alive = sum(1 for a in self._actors.values() if not a.ready())
        return f"<Supervisor actors={len(self._actors)} alive={alive} crashes={len(self.crashes)}>"
