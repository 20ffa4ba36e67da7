"""gevent.pywsgi: a streamed response, HEAD, write(), an app that fails, a malformed request.

Each exchange is printed as the client saw it: the status, and for the stream the pieces in
the order they arrived relative to what the app did (the app waits for the client to see
the first piece before it yields the second).
"""

import h11
from gevent import socket
from gevent.event import Event
from gevent.pywsgi import WSGIServer

first_seen = Event()
events = []


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body():
            events.append("app yields part 1")
            yield b"part 1\n"
            first_seen.wait(5)
            events.append("app yields part 2")
            yield b"part 2\n"

        return body()
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written, ")
        return [b"then returned"]
    if path == "/fail":
        raise RuntimeError("the app failed")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
    return [b"hello\n"]


def request(method, path, conn=None, sock=None):
    sock = sock or socket.create_connection(("127.0.0.1", server.server_port))
    conn = h11.Connection(h11.CLIENT)
    data = conn.send(h11.Request(method=method, target=path, headers=[("Host", "x")]))
    sock.sendall(data + conn.send(h11.EndOfMessage()))
    status, parts = None, []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif type(event) is h11.Response:
            status = event.status_code
        elif type(event) is h11.Data:
            parts.append(bytes(event.data))
            if path == "/stream":
                events.append(f"client got {bytes(event.data)!r}")
                first_seen.set()
        elif type(event) is h11.EndOfMessage:
            break
    sock.close()
    return status, b"".join(parts)


server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None)
server.start()
print(request("GET", "/stream"))
for line in events:
    print("   ", line)
print(request("HEAD", "/"))
print(request("GET", "/write"))
status, body = request("GET", "/fail")
print("fail:", status, b"Traceback" in body, b"the app failed" in body)
print(request("GET", "/"))

sock = socket.create_connection(("127.0.0.1", server.server_port))
sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
answer = b""
while chunk := sock.recv(65536):
    answer += chunk
sock.close()
print("malformed:", answer.split(b"\r\n", 1)[0][:12])
print(request("GET", "/"))
server.stop()
