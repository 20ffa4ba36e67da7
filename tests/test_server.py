"""Tests of coopconc/server.py and coopconc/baseserver.py: real servers on 127.0.0.1."""

import os
import resource
import socket as stdsocket

import pytest

import coopconc
from coopconc import socket as csocket
from coopconc.baseserver import parse_address
from coopconc.event import Event
from coopconc.pool import Group, Pool
from coopconc.queue import Queue
from coopconc.server import StreamServer


def open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


def echo(sock, address):
    while data := sock.recv(4096):
        sock.sendall(data)


def ask(port: int, message: bytes) -> bytes:
    with csocket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(message)
        sock.shutdown(csocket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks)


def test_echo_server_and_its_properties():
    server = StreamServer(("127.0.0.1", 0), echo)
    assert not server.started and server.server_port == 0
    server.start()
    assert server.started
    assert server.server_host == "127.0.0.1"
    assert server.server_port > 0
    assert server.address == ("127.0.0.1", server.server_port)
    assert repr(server) == f"<StreamServer address=127.0.0.1:{server.server_port} started>"
    assert ask(server.server_port, b"hello") == b"hello"
    server.stop()
    assert not server.started and server.closed
    assert "closed" in repr(server)


def test_handle_gets_a_coopconc_socket_and_the_client_address():
    seen = []

    def handle(sock, address):
        seen.append((type(sock), address))
        sock.sendall(b"greeting\n")

    with StreamServer(("127.0.0.1", 0), handle) as server:
        server.start()
        with csocket.create_connection(("127.0.0.1", server.server_port)) as client:
            assert client.recv(100) == b"greeting\n"
            assert client.recv(100) == b""  # the server closed it when handle returned
            assert seen == [(csocket.socket, client.getsockname())]


def test_listener_may_be_a_socket():
    listener = csocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(10)
    server = StreamServer(listener, echo)
    assert server.address == listener.getsockname()
    server.start()
    assert ask(server.server_port, b"via socket") == b"via socket"
    server.stop()
    assert listener.fileno() == -1
    with pytest.raises(TypeError, match="backlog must be None"):
        StreamServer(csocket.socket(), echo, backlog=5)


def test_a_stdlib_listener_works_too():
    listener = stdsocket.create_server(("127.0.0.1", 0))
    server = StreamServer(listener, echo)
    server.start()
    assert ask(server.server_port, b"stdlib") == b"stdlib"
    server.stop()


def test_subclass_with_a_handle_method():
    class Upper(StreamServer):
        def handle(self, sock, address):
            sock.sendall(sock.recv(100).upper())

    with Upper(("127.0.0.1", 0)) as server:
        server.start()
        assert ask(server.server_port, b"shout") == b"SHOUT"


def test_handle_is_required():
    with pytest.raises(TypeError, match="handle"):
        StreamServer(("127.0.0.1", 0))


@pytest.mark.parametrize("spawn", ["default", None, 2])
def test_a_failing_handler_is_reported_once_and_later_clients_are_served(spawn, capsys):
    # spawn=None runs the handler in the acceptor itself: its error must not end the acceptor.
    served = []

    def handle(sock, address):
        data = sock.recv(100)
        if data == b"boom":
            raise ZeroDivisionError("handler failed")
        served.append(data)
        sock.sendall(data)

    with StreamServer(("127.0.0.1", 0), handle, spawn=spawn) as server:
        server.start()
        with coopconc.Timeout(10):
            assert ask(server.server_port, b"boom") == b""
            answers = [ask(server.server_port, b"fine %d" % i) for i in range(3)]
    assert answers == served == [b"fine 0", b"fine 1", b"fine 2"]
    err = capsys.readouterr().err
    assert err.count("ZeroDivisionError: handler failed") == 1


def test_serve_forever_returns_after_stop():
    server = StreamServer(("127.0.0.1", 0), echo)
    runner = coopconc.spawn(server.serve_forever)
    coopconc.idle()  # every greenlet has run as far as it can: serve_forever waits
    assert server.started
    assert ask(server.server_port, b"ping") == b"ping"
    server.stop()
    runner.join(timeout=5)
    assert runner.dead and runner.successful()


def test_killing_serve_forever_stops_the_server():
    server = StreamServer(("127.0.0.1", 0), echo)
    runner = coopconc.spawn(server.serve_forever)
    coopconc.idle()
    assert server.started
    runner.kill()
    assert server.closed


@pytest.mark.parametrize("limit", [2, "pool"])
def test_connection_limit(limit):
    if limit == "pool":
        limit = Pool(2)
    running = []
    most = []
    started = Queue()  # each handler hands over the Event that lets it finish

    def handle(sock, address):
        running.append(address)
        most.append(len(running))
        release = Event()
        started.put(release)
        release.wait()
        running.remove(address)
        sock.sendall(b"done")

    server = StreamServer(("127.0.0.1", 0), handle, spawn=limit)
    server.start()
    clients = [
        coopconc.spawn(ask, server.server_port, b"") for _ in range(5)
    ]  # five clients, at most two served at once
    first_two = [started.get(timeout=5), started.get(timeout=5)]
    coopconc.idle()  # everything that could run has run: a third handler would have started
    assert len(running) == 2 and started.qsize() == 0
    for release in first_two:
        release.set()
    for _ in range(3):  # the others, one by one as slots free up
        started.get(timeout=5).set()
    coopconc.joinall(clients, timeout=5)
    assert [c.value for c in clients] == [b"done"] * 5
    assert max(most) == 2
    server.stop()


def test_stop_with_a_pool_kills_slow_handlers():
    started = Event()

    def slow(sock, address):
        started.set()
        coopconc.sleep(60)

    server = StreamServer(("127.0.0.1", 0), slow, spawn=3)
    server.start()
    client = csocket.create_connection(("127.0.0.1", server.server_port))
    assert started.wait(timeout=5)
    assert len(server.pool) == 1
    with coopconc.virtual_clock():
        server.stop(timeout=1)
    assert len(server.pool) == 0
    assert client.recv(10) == b""  # killed handler: its socket was closed
    client.close()


def test_spawn_none_runs_the_handler_in_the_acceptor():
    names = []

    def handle(sock, address):
        names.append(coopconc.getcurrent().name)
        sock.sendall(b"ok")

    with StreamServer(("127.0.0.1", 0), handle, spawn=None) as server:
        server.start()
        assert ask(server.server_port, b"") == b"ok"
    assert names == ["StreamServer acceptor"]


def test_bind_error_names_the_address():
    with StreamServer(("127.0.0.1", 0), echo) as first:
        first.start()
        second = StreamServer(("127.0.0.1", first.server_port), echo)
        second.reuse_addr = 0
        # SO_REUSEADDR does not let two sockets listen on the same port
        with pytest.raises(OSError, match=str(first.server_port)):
            second.start()


def test_parse_address():
    assert parse_address(("127.0.0.1", 80)) == (stdsocket.AF_INET, ("127.0.0.1", 80))
    assert parse_address("127.0.0.1:80") == (stdsocket.AF_INET, ("127.0.0.1", 80))
    assert parse_address(8080) == (stdsocket.AF_INET, ("127.0.0.1", 8080))
    assert parse_address("8080") == (stdsocket.AF_INET, ("127.0.0.1", 8080))
    assert parse_address(":80") == (stdsocket.AF_INET, ("", 80))
    assert parse_address("*:80") == (stdsocket.AF_INET, ("", 80))
    assert parse_address("[::1]:80") == (stdsocket.AF_INET6, ("::1", 80))
    assert parse_address(("::1", 80)) == (stdsocket.AF_INET6, ("::1", 80))
    with pytest.raises(ValueError, match="Failed to parse address"):
        parse_address("host:port")
    with pytest.raises(TypeError):
        parse_address(3.5)


def test_a_thousand_concurrent_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        if hard != resource.RLIM_INFINITY and hard < 2300:
            pytest.skip(f"the fd limit is {hard}; 1000 connections need about 2100")
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    try:
        server = StreamServer(("127.0.0.1", 0), echo, backlog=1024)
        server.start()
        port = server.server_port

        def client(i):
            with csocket.create_connection(("127.0.0.1", port)) as sock:
                message = b"client %d\n" % i
                for _ in range(3):
                    sock.sendall(message)
                    got = b""
                    while len(got) < len(message):
                        got += sock.recv(100)
                    assert got == message
                return i

        clients = [coopconc.spawn(client, i) for i in range(1000)]
        coopconc.joinall(clients, timeout=60, raise_error=True)
        assert sorted(c.value for c in clients) == list(range(1000))
        server.stop()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_no_file_descriptor_left_open():
    with StreamServer(("127.0.0.1", 0), echo) as warm:
        warm.start()
        ask(warm.server_port, b"warm up the hub")
    before = open_fds()
    for _ in range(3):
        handlers = Group()
        server = StreamServer(("127.0.0.1", 0), echo, spawn=handlers)
        server.start()
        clients = [coopconc.spawn(ask, server.server_port, b"%d" % i) for i in range(20)]
        coopconc.joinall(clients, timeout=10, raise_error=True)
        assert handlers.join(timeout=10)  # each closed its socket when its client hung up
        server.stop()
    assert open_fds() == before
