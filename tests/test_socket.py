"""Tests of coopconc/socket.py: real sockets on loopback, compared with what the stdlib does."""

import errno
import os
import socket as stdsocket
import struct

import pytest

import coopconc
from coopconc import socket as csocket


def open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def listener():
    """A coopconc listening socket on 127.0.0.1 (random port)."""
    sock = csocket.socket(csocket.AF_INET, csocket.SOCK_STREAM)
    sock.setsockopt(csocket.SOL_SOCKET, csocket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    yield sock
    sock.close()


def tcp_pair(listener):
    """(client, server-side) connected coopconc sockets."""
    client = csocket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    return client, conn


# ---------------------------------------------------------------------------------------------
# the class itself


def test_names_and_reexports():
    assert csocket.socket.__module__ == "coopconc.socket"
    assert csocket.SocketType is csocket.socket
    assert csocket.timeout is stdsocket.timeout is TimeoutError
    assert csocket.error is OSError
    assert csocket.gaierror is stdsocket.gaierror
    assert csocket.AF_INET == stdsocket.AF_INET
    assert csocket.SOCK_STREAM == stdsocket.SOCK_STREAM
    assert csocket.htons(1) == stdsocket.htons(1)
    for name in ["wait_read", "wait_write", "wait_readwrite", "create_connection", "fromfd"]:
        assert name in csocket.__all__
    assert issubclass(csocket.socket, stdsocket.socket)


def test_timeout_settings_match_the_stdlib():
    with csocket.socket() as ours, stdsocket.socket() as theirs:
        for value in [None, 0, 0.0, 2, 1.5]:
            ours.settimeout(value)
            theirs.settimeout(value)
            assert ours.gettimeout() == theirs.gettimeout()
            assert ours.timeout == theirs.timeout
            assert ours.getblocking() == theirs.getblocking()
        for flag in [True, False]:
            ours.setblocking(flag)
            theirs.setblocking(flag)
            assert ours.gettimeout() == theirs.gettimeout()
        with pytest.raises(ValueError, match="Timeout value out of range"):
            ours.settimeout(-1)
        with pytest.raises(TypeError):
            ours.settimeout("1")
        # the real socket underneath never blocks the thread
        assert stdsocket.socket.gettimeout(ours) == 0.0 or not os.get_blocking(ours.fileno())


def test_default_timeout_applies_to_new_sockets():
    old = csocket.getdefaulttimeout()
    csocket.setdefaulttimeout(3.0)
    try:
        with csocket.socket() as s:
            assert s.gettimeout() == 3.0
    finally:
        csocket.setdefaulttimeout(old)


def test_repr_type_and_family():
    with csocket.socket() as s:
        assert repr(s).startswith("<coopconc.socket.socket fd=")
        assert s.type == stdsocket.SOCK_STREAM
        assert s.family == stdsocket.AF_INET
        s.settimeout(2)
        assert "timeout=2" in repr(s)
    assert "[closed]" in repr(s)


def test_socket_cannot_be_pickled():
    import pickle

    with csocket.socket() as s, pytest.raises(TypeError):
        pickle.dumps(s)


# ---------------------------------------------------------------------------------------------
# reading and writing


def test_recv_waits_without_blocking_other_greenlets():
    a, b = csocket.socketpair()
    ticks = []

    def ticker():
        for i in range(3):
            ticks.append(i)
            coopconc.sleep(0.001)
        b.sendall(b"after ticks")

    coopconc.spawn(ticker)
    assert a.recv(100) == b"after ticks"
    assert ticks == [0, 1, 2]
    a.close()
    b.close()


def test_recv_into_recvfrom_and_recvfrom_into():
    a, b = csocket.socketpair()
    coopconc.spawn(b.sendall, b"abcdef")
    buf = bytearray(3)
    assert a.recv_into(buf) == 3 and buf == b"abc"
    data, _addr = a.recvfrom(2)
    assert data == b"de"
    n, _addr = a.recvfrom_into(buf)
    assert n == 1 and buf[:1] == b"f"
    a.close()
    b.close()


def test_tcp_echo_between_greenlets(listener):
    def serve():
        conn, _ = listener.accept()
        assert isinstance(conn, csocket.socket)
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data.upper())

    server = coopconc.spawn(serve)
    with csocket.create_connection(listener.getsockname()) as client:
        for word in [b"one", b"two", b"three"]:
            client.sendall(word)
            assert client.recv(1024) == word.upper()
    server.get(timeout=5)


def test_udp_sendto_recvfrom():
    with (
        csocket.socket(csocket.AF_INET, csocket.SOCK_DGRAM) as rx,
        csocket.socket(csocket.AF_INET, csocket.SOCK_DGRAM) as tx,
    ):
        rx.bind(("127.0.0.1", 0))
        got = coopconc.spawn(rx.recvfrom, 100)
        coopconc.sleep(0)
        tx.sendto(b"datagram", rx.getsockname())
        data, addr = got.get(timeout=5)
        assert data == b"datagram"
        assert addr[1] == tx.getsockname()[1]


def test_sendall_larger_than_the_kernel_buffers():
    a, b = csocket.socketpair()
    payload = os.urandom(4 * 1024 * 1024)
    received = bytearray()

    def reader():
        while len(received) < len(payload):
            chunk = b.recv(65536)
            if not chunk:
                break
            received.extend(chunk)

    g = coopconc.spawn(reader)
    a.sendall(payload)
    g.join(timeout=10)
    assert bytes(received) == payload
    a.close()
    b.close()


def test_sendall_accepts_any_buffer():
    import array

    a, b = csocket.socketpair()
    a.sendall(array.array("i", [1, 2, 3]))
    assert struct.unpack("3i", b.recv(100)) == (1, 2, 3)
    a.sendall(memoryview(b"xyz")[1:])
    assert b.recv(100) == b"yz"
    a.sendall(b"")
    a.close()
    b.close()


def test_sendall_times_out_when_nobody_reads():
    a, b = csocket.socketpair()
    a.settimeout(1.0)
    with coopconc.virtual_clock(), pytest.raises(csocket.timeout, match="timed out"):
        a.sendall(b"x" * (16 * 1024 * 1024))
    a.close()
    b.close()


def test_makefile_readline_and_write():
    a, b = csocket.socketpair()
    reader = a.makefile("r", encoding="utf-8")
    writer = b.makefile("w", encoding="utf-8")

    def produce():
        for i in range(3):
            writer.write(f"line {i}\n")
            writer.flush()
            coopconc.sleep(0.001)
        writer.close()
        b.close()

    coopconc.spawn(produce)
    assert [reader.readline() for _ in range(3)] == ["line 0\n", "line 1\n", "line 2\n"]
    assert reader.readline() == ""
    reader.close()
    a.close()
    assert a.fileno() == -1


def test_makefile_keeps_the_socket_open_until_it_is_closed():
    a, b = csocket.socketpair()
    f = a.makefile("rb")
    a.close()
    assert a.fileno() != -1  # the file still uses it, as in the stdlib
    b.sendall(b"still here")
    assert f.read1(100) == b"still here"
    f.close()
    assert a.fileno() == -1
    b.close()


def test_sendfile_is_cooperative(tmp_path):
    path = tmp_path / "data.bin"
    payload = os.urandom(300_000)
    path.write_bytes(payload)
    a, b = csocket.socketpair()
    received = bytearray()

    def reader():
        while len(received) < len(payload):
            received.extend(b.recv(65536))

    g = coopconc.spawn(reader)
    with open(path, "rb") as f:
        assert a.sendfile(f) == len(payload)
    g.join(timeout=10)
    assert bytes(received) == payload
    a.close()
    b.close()


# ---------------------------------------------------------------------------------------------
# the unhappy paths, as the stdlib reports them


def test_peer_disconnects_mid_read(listener):
    client, conn = tcp_pair(listener)

    def talk_then_hang_up():
        client.sendall(b"partial")
        coopconc.sleep(0.001)
        client.close()

    coopconc.spawn(talk_then_hang_up)
    assert conn.recv(100) == b"partial"
    assert conn.recv(100) == b""  # orderly shutdown: end of stream
    assert conn.recv(100) == b""
    conn.close()


def test_connection_reset_by_peer(listener):
    client, conn = tcp_pair(listener)
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN
    client.setsockopt(csocket.SOL_SOCKET, csocket.SO_LINGER, struct.pack("ii", 1, 0))
    got = coopconc.spawn(conn.recv, 100)
    coopconc.sleep(0)
    client.close()
    with pytest.raises(ConnectionResetError) as info:
        got.get(timeout=5)
    assert info.value.errno == errno.ECONNRESET
    conn.close()


def test_broken_pipe_when_the_peer_is_gone():
    a, b = csocket.socketpair()
    b.close()
    with pytest.raises(BrokenPipeError):
        a.sendall(b"nobody listens")
    a.close()


def test_recv_timeout_raises_socket_timeout():
    a, b = csocket.socketpair()
    a.settimeout(5)
    with coopconc.virtual_clock(), pytest.raises(csocket.timeout) as info:
        a.recv(10)
    assert str(info.value) == "timed out"
    # the socket is still usable afterwards
    b.sendall(b"late")
    assert a.recv(10) == b"late"
    a.close()
    b.close()


def test_accept_timeout(listener):
    listener.settimeout(2)
    with coopconc.virtual_clock(), pytest.raises(csocket.timeout, match="timed out"):
        listener.accept()


def test_non_blocking_mode_raises_at_once():
    a, b = csocket.socketpair()
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        a.recv(10)
    a.settimeout(0.0)
    with pytest.raises(BlockingIOError):
        a.sendall(b"x" * (16 * 1024 * 1024))
    a.close()
    b.close()


def test_a_coopconc_timeout_interrupts_recv_and_frees_the_fd(epoll_watched):
    a, b = csocket.socketpair()
    with coopconc.virtual_clock():
        with pytest.raises(coopconc.Timeout):
            with coopconc.Timeout(1):
                a.recv(10)
    coopconc.sleep(0.001)  # a timer: the hub finishes its turn, dropping the kept registration
    assert a.fileno() not in epoll_watched()
    b.sendall(b"ok")
    assert a.recv(10) == b"ok"  # a second wait on the same fd is allowed
    a.close()
    b.close()


def test_closed_socket_used_again_raises_ebadf():
    a, b = csocket.socketpair()
    a.close()
    a.close()  # closing twice is fine, as in the stdlib
    for call in [lambda: a.recv(1), lambda: a.send(b"x"), lambda: a.sendall(b"x")]:
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        a.settimeout(1)
    assert info.value.errno == errno.EBADF
    b.close()


def test_close_from_another_greenlet_wakes_a_blocked_recv():
    a, b = csocket.socketpair()
    blocked = coopconc.spawn(a.recv, 100)
    coopconc.sleep(0)  # let it block
    a.close()
    with pytest.raises(OSError) as info:
        blocked.get(timeout=5)
    assert info.value.errno == errno.EBADF
    assert isinstance(info.value, csocket.cancel_wait_ex)
    b.close()


def test_close_from_another_greenlet_wakes_a_blocked_accept(listener):
    blocked = coopconc.spawn(listener.accept)
    coopconc.sleep(0)
    listener.close()
    with pytest.raises(OSError) as info:
        blocked.get(timeout=5)
    assert info.value.errno == errno.EBADF


def test_connect_refused():
    with csocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        with csocket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))
        with csocket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
        with pytest.raises(ConnectionRefusedError):
            csocket.create_connection(("127.0.0.1", port))


def test_non_blocking_connect_raises_like_the_stdlib(listener):
    with csocket.socket() as s:
        s.setblocking(False)
        err = s.connect_ex(listener.getsockname())
        assert err in (0, errno.EINPROGRESS)
        csocket.wait_write(s.fileno(), timeout=5)
        assert s.getsockopt(csocket.SOL_SOCKET, csocket.SO_ERROR) == 0
    listener.accept()[0].close()


# ---------------------------------------------------------------------------------------------
# making sockets


def test_create_connection_by_name_and_timeout(listener):
    port = listener.getsockname()[1]
    with csocket.create_connection(("localhost", port), timeout=7) as client:
        assert client.gettimeout() == 7
        conn, addr = listener.accept()
        assert addr == client.getsockname()
        conn.close()


def test_accept_returns_a_coopconc_socket_with_the_default_timeout(listener):
    listener.settimeout(5)
    client = csocket.create_connection(listener.getsockname())
    conn, addr = listener.accept()
    assert type(conn) is csocket.socket
    assert conn.gettimeout() is None
    assert addr == client.getsockname()
    conn.close()
    client.close()


def test_create_server():
    with csocket.create_server(("127.0.0.1", 0)) as server:
        assert type(server) is csocket.socket
        with csocket.create_connection(server.getsockname()):
            conn, _ = server.accept()
            conn.close()


def test_dup_detach_fromfd():
    a, b = csocket.socketpair()
    a.settimeout(4)
    c = a.dup()
    assert type(c) is csocket.socket and c.gettimeout() == 4 and c.fileno() != a.fileno()
    c.sendall(b"via dup")
    assert b.recv(100) == b"via dup"
    d = csocket.fromfd(a.fileno(), a.family, a.type)
    assert type(d) is csocket.socket
    fd = a.detach()
    assert a.fileno() == -1
    os.close(fd)
    for s in (b, c, d):
        s.close()


def test_detach_wakes_a_waiter():
    a, b = csocket.socketpair()
    blocked = coopconc.spawn(a.recv, 10)
    coopconc.sleep(0)
    fd = a.detach()
    with pytest.raises(OSError):
        blocked.get(timeout=5)
    os.close(fd)
    b.close()


def test_name_lookups():
    assert csocket.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert csocket.gethostbyname("localhost").startswith("127.")
    infos = csocket.getaddrinfo("localhost", 80, csocket.AF_INET, csocket.SOCK_STREAM)
    assert infos[0][4] == ("127.0.0.1", 80)
    assert infos[0][0] is stdsocket.AddressFamily.AF_INET
    assert csocket.getaddrinfo("127.0.0.1", 80, 0, csocket.SOCK_STREAM)[0][4][0] == "127.0.0.1"
    assert csocket.getnameinfo(("127.0.0.1", 80), stdsocket.NI_NUMERICHOST)[0] == "127.0.0.1"
    with pytest.raises(csocket.gaierror):
        csocket.getaddrinfo("no-such-host.invalid", 80)
    coopconc.sleep(0)  # (leave the hub parked in its own loop, not in AsyncResult's links)


def test_lookup_by_name_lets_others_run():
    ran = []
    g = coopconc.spawn(ran.append, "other greenlet")
    csocket.gethostbyname("localhost")
    g.join()
    assert ran == ["other greenlet"]
    coopconc.sleep(0)  # (leave the hub parked in its own loop, not in AsyncResult's links)


def test_wait_helpers_are_the_hubs():
    from coopconc import hub

    assert csocket.wait_read is hub.wait_read
    assert csocket.wait_write is hub.wait_write
    assert csocket.wait_readwrite is hub.wait_readwrite


# ---------------------------------------------------------------------------------------------
# many at once, nothing leaked


def test_many_socketpairs_at_once():
    pairs = [csocket.socketpair() for _ in range(100)]

    def echo(sock):
        sock.sendall(sock.recv(100) * 2)

    def ask(sock, i):
        sock.sendall(str(i).encode())
        return sock.recv(100)

    servers = [coopconc.spawn(echo, b) for _, b in pairs]
    clients = [coopconc.spawn(ask, a, i) for i, (a, _) in enumerate(pairs)]
    coopconc.joinall(servers + clients, timeout=10)
    assert [c.value for c in clients] == [str(i).encode() * 2 for i in range(100)]
    for a, b in pairs:
        a.close()
        b.close()


def test_no_file_descriptor_left_open(listener):
    tcp_pair(listener)[0].close()  # warm up: the hub's selector exists from here on
    before = open_fds()
    for _ in range(20):
        client, conn = tcp_pair(listener)
        coopconc.spawn(client.sendall, b"x")
        assert conn.recv(1) == b"x"
        client.close()
        conn.close()
        a, b = csocket.socketpair()
        with a, b:
            a.dup().close()
    assert open_fds() == before


def test_a_kept_registration_ends_with_the_turn_or_with_the_socket(epoll_watched):
    a, b = csocket.socketpair()
    coopconc.spawn_later(0.01, b.sendall, b"x")
    assert a.recv(1) == b"x"
    fd = a.fileno()
    assert fd in epoll_watched()  # kept: the next recv needs no system call to register
    coopconc.sleep(0.001)
    assert fd not in epoll_watched()  # released at the end of the turn
    coopconc.spawn_later(0.01, b.sendall, b"y")
    assert a.recv(1) == b"y"
    del a  # dropped without close(): the hub must forget the fd, whose number comes back
    import gc

    gc.collect()
    c, d = csocket.socketpair()  # (very likely the dropped fd's number again)
    coopconc.spawn_later(0.01, d.sendall, b"z")
    assert c.recv(1) == b"z"  # waited for, and woken: the new fd was registered afresh
    for s in (b, c, d):
        s.close()


def test_sockets_dropped_without_close_give_their_fds_back():
    import gc
    import warnings

    def fd_count():
        return len(os.listdir("/proc/self/fd"))

    before = fd_count()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # (the C finalizer's "unclosed socket")
        for _ in range(500):
            a, b = csocket.socketpair()
            a.sendall(b"x")
            assert b.recv(1) == b"x"  # used, so the hub has registered (and kept) b's fd
            del a, b
        gc.collect()
    assert fd_count() <= before + 2  # (+2: the hub's epoll and wake-up, made on first wait)


def test_a_failed_name_lookup_raises_in_the_caller_and_prints_nothing(capfd):
    with pytest.raises(stdsocket.gaierror):
        csocket.getaddrinfo("no-such-host.invalid", 80)
    with pytest.raises(OSError):
        csocket.gethostbyname("no-such-host.invalid")
    out, err = capfd.readouterr()
    assert err == ""
