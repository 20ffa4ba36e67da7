"""Run a gevent program on gevent or on coopconc: ``python run_as.py coopconc program.py``.

With ``coopconc`` as the first argument, ``import gevent`` (and ``gevent.queue``, ...) inside
the program gives coopconc's module of the same name, and ``import zmq.green`` gives
``coopconc.zmq`` (pyzmq's gevent layer and coopconc's twin): the program is not changed at all. This
is the promise of coopconc's API -- a gevent program runs on it by changing the import -- and
the parity tests check it by comparing what the program prints on both.
"""

import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``gevent`` and ``gevent.X`` as ``coopconc`` and ``coopconc.X``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "zmq.green":
            return importlib.util.spec_from_loader(fullname, self)
        if fullname == "gevent" or fullname.startswith("gevent."):
            real = "coopconc" + fullname[len("gevent") :]
            if importlib.util.find_spec(real) is None:
                raise ModuleNotFoundError(
                    f"coopconc has no module {real!r} (the program imports {fullname!r})",
                    name=fullname,
                )
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        if spec.name == "zmq.green":
            return importlib.import_module("coopconc.zmq")
        return importlib.import_module("coopconc" + spec.name[len("gevent") :])

    def exec_module(self, module):
        pass


def main() -> None:
    lib, program = sys.argv[1], sys.argv[2]
    if lib == "coopconc":
        sys.meta_path.insert(0, _Alias())
    elif lib != "gevent":
        raise SystemExit(f"run_as.py: library must be 'gevent' or 'coopconc', not {lib!r}")
    sys.argv = sys.argv[2:]
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()
