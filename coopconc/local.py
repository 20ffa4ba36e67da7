"""Greenlet-local data: one object whose attributes are different in every greenlet.

What it is
    ``threading.local`` for greenlets. ``data = local()`` is one shared object, but
    ``data.user = "ann"`` in one greenlet is not seen by any other: each greenlet that touches
    ``data`` gets its own fresh set of attributes. A subclass may define ``__init__``; it runs
    again, with the arguments given when the object was made, the first time each greenlet
    touches the object -- so every greenlet starts from the same defaults. Web frameworks use
    this to offer a global-looking ``request`` that is really "the request *this* greenlet is
    serving".

How it is built
    Not on the hub at all -- nothing here waits. The object keeps a dict per greenlet, keyed
    by ``id(greenlet)``, and looks attributes up in the current greenlet's dict (with the
    usual Python rules: data descriptors of the class first, then the instance's own dict,
    then the other class attributes). When a greenlet dies, its dict is dropped: a
    ``Greenlet`` tells us through a link (``rawlink``) when it finishes, and any greenlet
    through a weak reference that fires when it is freed. The per-greenlet dicts belong to the local object only, so
    when the object goes, all its data goes too.

Taught in notebook 13 (greenlet locals).
"""

from __future__ import annotations

import weakref

from greenlet import getcurrent

__all__ = ["local"]

_MISSING = object()


class _Forget:
    """Drops one greenlet's dict from a local's table, when that greenlet dies."""

    __slots__ = ("table", "key")

    def __init__(self, table: weakref.ref, key: int):
        self.table = table
        self.key = key

    def __call__(self, _greenlet_or_ref) -> None:
        table = self.table()
        if table is not None:
            table.pop(self.key, None)


class _Table(dict):
    """id(greenlet) -> (weak reference to the greenlet, its dict). Itself weak-referenceable."""

    __slots__ = ("__weakref__",)


def _class_attributes(cls) -> tuple[dict, frozenset]:
    """Every attribute the class offers (nearest in the MRO wins), and which are data
    descriptors (those with __set__ or __delete__, which win over the instance's dict)."""
    attrs: dict = {}
    for base in reversed(cls.__mro__):
        attrs.update(base.__dict__)
    data = frozenset(
        name
        for name, value in attrs.items()
        if hasattr(type(value), "__set__") or hasattr(type(value), "__delete__")
    )
    return attrs, data


# Attributes of the local object itself (not per greenlet).
_OWN = frozenset({"_local__table", "_local__args", "_local__attrs", "_local__data"})


class local:
    """An object with different attributes in every greenlet (see the module text)."""

    __slots__ = ("_local__table", "_local__args", "_local__attrs", "_local__data", "__weakref__")

    def __new__(cls, *args, **kwargs):
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError(
                f"{cls.__name__}(*args, **kwargs): arguments are only accepted by a subclass "
                "of local that defines __init__"
            )
        self = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(self, "_local__table", _Table())
        setattr_(self, "_local__args", (args, kwargs))
        attrs, data = _class_attributes(cls)
        setattr_(self, "_local__attrs", attrs)
        setattr_(self, "_local__data", data)
        # The greenlet that makes the object gets its dict now; __init__ (run by Python
        # right after __new__) fills it.
        _new_dict(self, getcurrent())
        return self

    def __getattribute__(self, name: str):
        if name in _OWN:
            return object.__getattribute__(self, name)
        d = _dict(self)
        if name == "__dict__":
            return d
        cls_attr = object.__getattribute__(self, "_local__attrs").get(name, _MISSING)
        if cls_attr is _MISSING:
            try:
                return d[name]
            except KeyError:
                pass
            getattr_hook = getattr(type(self), "__getattr__", None)
            if getattr_hook is not None:
                return getattr_hook(self, name)
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r} in this greenlet"
            ) from None
        if name in object.__getattribute__(self, "_local__data"):
            return type(cls_attr).__get__(cls_attr, self, type(self))
        if name in d:
            return d[name]
        get = getattr(type(cls_attr), "__get__", None)
        return cls_attr if get is None else get(cls_attr, self, type(self))

    def __setattr__(self, name: str, value) -> None:
        if name == "__dict__":
            raise AttributeError(
                f"{type(self).__name__!r} object attribute '__dict__' is read-only"
            )
        if name in _OWN:
            raise AttributeError(f"{type(self).__name__}.{name} belongs to the local object")
        if name in object.__getattribute__(self, "_local__data"):
            cls_attr = object.__getattribute__(self, "_local__attrs")[name]
            setter = getattr(type(cls_attr), "__set__", None)
            if setter is not None:
                setter(cls_attr, self, value)
                return
        _dict(self)[name] = value

    def __delattr__(self, name: str) -> None:
        if name in object.__getattribute__(self, "_local__data"):
            cls_attr = object.__getattribute__(self, "_local__attrs")[name]
            deleter = getattr(type(cls_attr), "__delete__", None)
            if deleter is not None:
                deleter(cls_attr, self)
                return
        try:
            del _dict(self)[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} greenlets={len(object.__getattribute__(self, '_local__table'))}>"


def _dict(self: local) -> dict:
    """The current greenlet's dict of ``self``, made (and __init__ run) on first use."""
    g = getcurrent()
    entry = object.__getattribute__(self, "_local__table").get(id(g))
    if entry is not None:
        return entry[1]
    d = _new_dict(self, g)
    args, kwargs = object.__getattribute__(self, "_local__args")
    init = type(self).__init__
    if init is not object.__init__:
        init(self, *args, **kwargs)
    return d


def _new_dict(self: local, g) -> dict:
    table = object.__getattribute__(self, "_local__table")
    key = id(g)
    forget = _Forget(weakref.ref(table), key)
    rawlink = getattr(g, "rawlink", None)
    if rawlink is not None:
        rawlink(forget)  # a Greenlet: forget its dict as soon as it finishes
    # Any greenlet: forget it when it is freed (also keeps a reused id from seeing old data).
    d: dict = {}
    table[key] = (weakref.ref(g, forget), d)
    return d
