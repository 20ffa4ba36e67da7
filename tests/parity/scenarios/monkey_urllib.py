"""An unmodified blocking library (urllib) made cooperative by patch_all.

A local HTTP server (in a thread started after patching) takes 0.2 s per request and counts
how many requests it serves at once: five greenlets fetching pages all overlap.
"""

from gevent import monkey

monkey.patch_all()

import http.server  # noqa: E402 -- imported after patching, as it should be
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import gevent  # noqa: E402

state = {"in_flight": 0, "most": 0}


class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])
        time.sleep(0.2)  # patched: only this request waits
        state["in_flight"] -= 1
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}"


def fetch(i):
    with urllib.request.urlopen(f"{url}/page{i}", timeout=30) as reply:
        return reply.read().decode()


jobs = [gevent.spawn(fetch, i) for i in range(5)]
gevent.joinall(jobs, raise_error=True)
print("pages:", [g.value for g in jobs])
print("requests in flight at once:", state["most"])
server.shutdown()
server.server_close()
print("done")
