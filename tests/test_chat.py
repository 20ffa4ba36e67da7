"""The chat's contract over HTTP and websockets (coopconc/examples/chat.py), without a browser.

The app runs in a thread with its own hub (chat_support.ServedInThread); the command
``python -m coopconc.examples.chat`` is started as a real process for the start/stop tests.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from urllib.parse import quote, urlencode

import pytest
import websocket  # websocket-client
from chat_support import ChatProcess, ServedInThread

import coopconc
from coopconc.examples.chat import Chat, create_app


@pytest.fixture(scope="module")
def served():
    app = create_app(poll_timeout=0.5)
    with ServedInThread(app, on_stop=app.chat.shutdown) as served:
        yield served


def request(served, method: str, path: str, form: dict | None = None, timeout: float = 10):
    """(status, body text) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=timeout)
    body = urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    result = response.status, response.read().decode()
    conn.close()
    return result


def put(served, room: str, uid: str, text) -> int:
    form = {} if text is None else {"message": text}
    return request(served, "POST", f"/put/{room}/{quote(uid, safe='')}", form)[0]


def poll(served, uid: str) -> list[str]:
    status, body = request(served, "POST", f"/poll/{quote(uid, safe='')}")
    assert status == 200, body
    return json.loads(body)


def page_messages(html: str) -> list[str]:
    found = re.search(r'<ul id="messages">(.*?)</ul>', html, re.S)
    assert found, "the room page has no #messages list"
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def ws_connect(served, room: str, uid: str) -> websocket.WebSocket:
    return websocket.create_connection(
        f"{served.ws_url}/ws/{room}/{quote(uid, safe='')}", timeout=5
    )


# -- pages ---------------------------------------------------------------------------------


def test_index_asks_for_a_name_and_sends_you_to_your_rooms(served):
    status, html = request(served, "GET", "/")
    assert status == 200 and 'name="uid"' in html
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
    conn.request("GET", "/?uid=carol")
    response = conn.getresponse()
    assert response.status in (302, 303) and response.getheader("Location").endswith("/carol")
    conn.close()


def test_user_page_lists_both_rooms(served):
    status, html = request(served, "GET", "/dave")
    assert status == 200
    assert 'href="/topic1/dave"' in html and 'href="/topic2/dave"' in html


def test_room_page_has_the_controls_and_its_script_is_served_locally(served):
    status, html = request(served, "GET", "/topic1/erin")
    assert status == 200
    for needle in ('id="message"', 'id="send"', 'id="messages"', 'src="/static/chat.js"'):
        assert needle in html
    assert "http://" not in html and "https://" not in html  # no CDN, no outside asset
    status, script = request(served, "GET", "/static/chat.js")
    assert status == 200 and "new WebSocket(" in script and "textContent" in script
    assert "innerHTML" not in script


def test_room_page_shows_the_last_25_messages(served):
    for i in range(30):
        assert put(served, "topic2", "hist", f"message {i}") == 200
    status, html = request(served, "GET", "/topic2/reader")
    assert page_messages(html) == [f"hist: message {i}" for i in range(5, 30)]


def test_unknown_room_is_404_everywhere(served):
    assert request(served, "GET", "/topic9/frank")[0] == 404
    assert put(served, "topic9", "frank", "hello") == 404
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        ws_connect(served, "topic9", "frank")
    assert info.value.status_code == 404


def test_markup_in_uid_and_text_is_shown_as_text(served):
    evil_uid = "<em>mallory"  # (a "/" in a uid cannot reach this route at all: 404)
    evil_text = "<img src=x onerror=alert(1)>"
    assert put(served, "topic1", evil_uid, evil_text) == 200
    status, html = request(served, "GET", f"/topic1/{quote(evil_uid, safe='')}")
    assert status == 200
    assert "<img" not in html and "<em>" not in html
    assert "&lt;em&gt;mallory: &lt;img src=x onerror=alert(1)&gt;" in page_messages(html)
    assert 'data-uid="&lt;em&gt;mallory"' in html


# -- posting and long polling ---------------------------------------------------------------


def test_put_then_poll_delivers_once(served):
    request(served, "GET", "/topic1/gina")  # visiting the page subscribes
    assert put(served, "topic1", "hank", "hi gina") == 200
    assert put(served, "topic1", "hank", "  spaced  ") == 200
    assert poll(served, "gina") == ["hank: hi gina", "hank:   spaced  "]
    assert poll(served, "gina") == []  # the wait (0.5 s here) ran out: nothing twice


def test_poll_collects_every_room_the_user_joined(served):
    request(served, "GET", "/topic1/ivan")
    request(served, "GET", "/topic2/ivan")
    put(served, "topic1", "judy", "one")
    put(served, "topic2", "judy", "two")
    assert sorted(poll(served, "ivan")) == ["judy: one", "judy: two"]


def test_bad_messages_are_refused(served):
    assert put(served, "topic1", "kate", None) == 400  # no field
    assert put(served, "topic1", "kate", "") == 400
    assert put(served, "topic1", "kate", "   ") == 400
    assert put(served, "topic1", "kate", "x" * 2001) == 413
    assert put(served, "topic1", "kate", "x" * 2000) == 200
    assert request(served, "GET", "/topic1/" + "u" * 41)[0] == 400


def test_a_pending_poll_wakes_when_a_message_arrives():
    app = create_app(poll_timeout=10)
    with ServedInThread(app, on_stop=app.chat.shutdown) as served:
        request(served, "GET", "/topic1/leo")
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=15)
        conn.request("POST", "/poll/leo")
        time.sleep(0.3)  # the poll is waiting in the server now
        start = time.monotonic()
        put(served, "topic1", "mia", "wake up")
        response = conn.getresponse()
        assert json.loads(response.read()) == ["mia: wake up"]
        assert time.monotonic() - start < 5  # not the 10 s timeout
        conn.close()


# -- websockets ----------------------------------------------------------------------------


def test_websocket_receives_json_frames_and_posts_for_the_room(served):
    request(served, "GET", "/topic2/nina")
    ws = ws_connect(served, "topic2", "olga")
    assert put(served, "topic2", "nina", "hello olga") == 200
    assert json.loads(ws.recv()) == "nina: hello olga"
    ws.send(json.dumps({"message": "hello nina"}))
    assert json.loads(ws.recv()) == "olga: hello nina"  # olga is in the room too
    assert poll(served, "nina") == ["nina: hello olga", "olga: hello nina"]
    ws.close()


def test_two_tabs_of_one_user_both_get_every_message(served):
    request(served, "GET", "/topic2/tess")
    first = ws_connect(served, "topic2", "tess")
    request(served, "GET", "/topic2/tess")  # a second tab opens (or the first reloads)
    second = ws_connect(served, "topic2", "tess")
    assert put(served, "topic2", "uma", "to both tabs") == 200
    assert json.loads(first.recv()) == "uma: to both tabs"
    assert json.loads(second.recv()) == "uma: to both tabs"
    first.close()
    assert put(served, "topic2", "uma", "to the tab left") == 200
    assert json.loads(second.recv()) == "uma: to the tab left"
    second.close()


def test_messages_between_page_and_websocket_are_not_lost(served):
    request(served, "GET", "/topic2/vera")  # subscribed from here on
    assert put(served, "topic2", "will", "before the websocket opened") == 200
    ws = ws_connect(served, "topic2", "vera")
    assert json.loads(ws.recv()) == "will: before the websocket opened"
    ws.close()


@pytest.mark.parametrize(
    "garbage, code",
    [
        ("not json", 1008),
        (json.dumps(["message", "x"]), 1008),
        (json.dumps({"text": "x"}), 1008),
        (json.dumps({"message": "x" * 2001}), 1008),
        (b"\x00binary", 1003),
    ],
    ids=["text", "list", "no-key", "too-long", "binary"],
)
def test_garbage_on_a_websocket_closes_that_connection_only(served, garbage, code):
    good = ws_connect(served, "topic1", "pat")
    bad = ws_connect(served, "topic1", f"quinn-{code}-{len(garbage)}")
    if isinstance(garbage, bytes):
        bad.send_binary(garbage)
    else:
        bad.send(garbage)
    opcode, payload = bad.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(payload[:2], "big") == code
    bad.close()
    good.send(json.dumps({"message": "still fine"}))
    assert json.loads(good.recv()) == "pat: still fine"
    good.close()


# -- the fixes: bounded queues, leavers unsubscribed ----------------------------------------


def test_queues_are_bounded_and_leavers_are_unsubscribed():
    def scenario():
        chat = Chat(queue_size=3, idle_after=10)
        chat.subscribe("topic1", "stayer")
        chat.subscribe("topic1", "leaver")
        for i in range(5):
            chat.post("topic1", "someone", str(i))
        assert chat.stats() == {"users": 2, "subscriptions": 2, "queued": 6, "dropped": 4}
        assert chat.take("stayer") == ["someone: 2", "someone: 3", "someone: 4"]
        coopconc.sleep(6)
        chat.take("stayer")  # stayer keeps polling; leaver never comes back
        coopconc.sleep(8)  # the reaper looks every idle_after/4 = 2.5 s
        assert list(chat.users) == ["stayer"]
        assert list(chat.rooms["topic1"].subscribers) == ["stayer"]
        chat.shutdown()

    coopconc.run(scenario, clock="virtual")


# -- the command -----------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_command_prints_its_url_and_exits_0_on_signal_with_clients_open(signum):
    with ChatProcess() as chat:
        assert request(chat, "GET", "/topic1/ruth")[0] == 200
        ws = ws_connect(chat, "topic1", "sam")
        pending = http.client.HTTPConnection("127.0.0.1", chat.port, timeout=15)
        pending.request("POST", "/poll/ruth")
        idle = http.client.HTTPConnection("127.0.0.1", chat.port, timeout=15)
        idle.request("GET", "/ruth")
        idle.getresponse().read()  # a kept-alive connection, idle
        time.sleep(0.3)
        start = time.monotonic()
        assert chat.stop(signum) == 0
        assert time.monotonic() - start < 5
        assert json.loads(pending.getresponse().read()) == []  # the poll was answered
        opcode, payload = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(payload[:2], "big") == 1001


def test_command_binds_loopback_by_default():
    with ChatProcess() as chat:
        rows = [
            line.split()
            for line in open(f"/proc/{chat.process.pid}/net/tcp").read().splitlines()[1:]
        ]
        listening = {row[1] for row in rows if row[3] == "0A"}  # state 0A: LISTEN
        assert f"0100007F:{chat.port:04X}" in listening  # 127.0.0.1
        assert f"00000000:{chat.port:04X}" not in listening  # not 0.0.0.0


def test_command_help_names_its_options():
    result = subprocess.run(
        [sys.executable, "-m", "coopconc.examples.chat", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and "--host" in result.stdout and "--port" in result.stdout
