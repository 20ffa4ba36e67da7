"""A WSGI app on gevent.pywsgi: what the application sees, and what the client gets.

The app echoes parts of its environ and the request body; a raw-socket client sends a few
requests on one kept-alive connection (one of them pipelined) and prints each answer's status
and body (parsed with h11, so the framing is checked, not the exact header bytes).
"""

import h11
from gevent import socket
from gevent.pywsgi import WSGIServer


def app(environ, start_response):
    body = environ["wsgi.input"].read()
    lines = [
        f"{key}={environ.get(key)!r}"
        for key in [
            "REQUEST_METHOD",
            "SCRIPT_NAME",
            "PATH_INFO",
            "QUERY_STRING",
            "CONTENT_TYPE",
            "CONTENT_LENGTH",
            "SERVER_PROTOCOL",
            "REMOTE_ADDR",
            "HTTP_HOST",
            "HTTP_X_MANY",
            "wsgi.version",
            "wsgi.url_scheme",
            "wsgi.multithread",
            "wsgi.run_once",
            "wsgi.input_terminated",
        ]
    ]
    lines.append(f"SERVER_PORT matches: {environ['SERVER_PORT'] == str(server.server_port)}")
    lines.append(f"body={body!r}")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return ["\n".join(lines).encode() + b"\n"]


def read_response(sock, conn):
    status, chunks = None, []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif type(event) is h11.Response:
            status = event.status_code
        elif type(event) is h11.Data:
            chunks.append(bytes(event.data))
        elif type(event) is h11.EndOfMessage:
            return status, b"".join(chunks)


server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()

sock = socket.create_connection(("127.0.0.1", server.server_port))
conn = h11.Connection(h11.CLIENT)
requests = [
    (b"GET /hello%20world?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n", None),
    (
        b"POST /form HTTP/1.1\r\nHost: example.org\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 11\r\nX-Many: a\r\nX-Many: b\r\n\r\nhello world",
        None,
    ),
    (
        b"PUT /chunked HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        None,
    ),
]
sock.sendall(requests[0][0])
sock.sendall(requests[1][0] + requests[2][0])  # the last two pipelined
for raw, _ in requests:
    method = raw.split(b" ", 1)[0]
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "example.org")]))
    conn.send(h11.EndOfMessage())
    status, body = read_response(sock, conn)
    print("status", status)
    print(body.decode())
    conn.start_next_cycle()
sock.close()
server.stop()
