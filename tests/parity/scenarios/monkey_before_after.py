"""What socket.socket, select.select, time.sleep... are before and after patch_all."""

import select
import socket
import subprocess
import threading
import time

before = {
    "socket.socket": socket.socket,
    "socket.create_connection": socket.create_connection,
    "select.select": select.select,
    "time.sleep": time.sleep,
    "subprocess.Popen": subprocess.Popen,
    "threading.local": threading.local,
}

from gevent import monkey  # noqa: E402

print("socket patched before patch_all:", monkey.is_module_patched("socket"))
monkey.patch_all()
monkey.patch_all()  # a second time changes nothing

import gevent  # noqa: E402
import gevent.socket  # noqa: E402

after = {
    "socket.socket": socket.socket,
    "socket.create_connection": socket.create_connection,
    "select.select": select.select,
    "time.sleep": time.sleep,
    "subprocess.Popen": subprocess.Popen,
    "threading.local": threading.local,
}
for name in before:
    module, attr = name.split(".")
    print(
        f"{name}: replaced={after[name] is not before[name]}",
        f"is_object_patched={monkey.is_object_patched(module, attr)}",
        f"original kept={monkey.get_original(module, attr) is before[name]}",
    )
print("time.sleep is gevent.sleep:", time.sleep is gevent.sleep)
print("socket.socket is gevent.socket.socket:", socket.socket is gevent.socket.socket)
print("select.epoll still there:", hasattr(select, "epoll"))
print("time.monotonic patched:", monkey.is_object_patched("time", "monotonic"))
