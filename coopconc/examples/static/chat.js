// The room page of coopconc's chat: receive over a websocket, or by long polling with
// ?transport=poll (and when the websocket cannot connect). Served by the app itself: no CDN.
// Every message is put into the page with textContent, never as HTML.
(function () {
  "use strict";
  var body = document.body;
  var room = body.dataset.room;
  var uid = body.dataset.uid;
  var list = document.getElementById("messages");
  var input = document.getElementById("message");
  var button = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var wanted = new URLSearchParams(window.location.search).get("transport");
  var socket = null;
  var polling = false;

  function show(message) {
    var item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
  }

  function setStatus(text, transport) {
    statusLine.textContent = text;
    if (transport) body.dataset.transport = transport;
  }

  function pause(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // Long polling: ask, wait (the server holds the request up to 10 s), show, ask again.
  async function poll() {
    if (polling) return;
    polling = true;
    setStatus("long polling", "poll");
    for (;;) {
      try {
        var response = await fetch("/poll/" + encodeURIComponent(uid), { method: "POST" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        var messages = await response.json();
        messages.forEach(show);
        setStatus("long polling", "poll");
      } catch (error) {
        setStatus("long polling: " + error.message + ", retrying", "poll");
        await pause(1000);
      }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + "/ws/" + encodeURIComponent(room) + "/" + encodeURIComponent(uid);
    var opened = false;
    socket = new WebSocket(url);
    socket.onopen = function () {
      opened = true;
      setStatus("websocket", "websocket");
    };
    socket.onmessage = function (event) {
      show(JSON.parse(event.data));
    };
    socket.onclose = function (event) {
      socket = null;
      if (!opened) {
        poll(); // the websocket could not connect: fall back to long polling
      } else {
        setStatus("websocket closed (" + event.code + (event.reason ? ": " + event.reason : "") + ")", "closed");
      }
    };
  }

  function send() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ message: text }));
      return;
    }
    var form = new URLSearchParams();
    form.set("message", text);
    fetch("/put/" + encodeURIComponent(room) + "/" + encodeURIComponent(uid), { method: "POST", body: form })
      .then(function (response) {
        if (!response.ok) setStatus("not sent: HTTP " + response.status);
      })
      .catch(function (error) { setStatus("not sent: " + error.message); });
  }

  button.addEventListener("click", send);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      send();
    }
  });

  if (wanted === "poll") poll();
  else connect();
})();
