"""The chat end to end in headless Chromium, driven by selenium.

``python -m coopconc.examples.chat`` runs as a real process; three browser sessions open the
room: two on websockets, one with ``?transport=poll``. They type into ``input#message``, press
``button#send`` or Enter, and every page must show every message exactly once, as text.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``; ``.ci/run`` installs them in CI). Without them these tests are skipped with
that message, and a warning says so in the summary.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from chat_support import ChatProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOW_TO_INSTALL = (
    "the browser tests need headless Chromium: run `apt-get update && apt-get install -y chromium "
    f"chromium-driver` (as root) to get {CHROMIUM} and {CHROMEDRIVER}; .ci/run does this in CI"
)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    warnings.warn(f"tests/test_chat_browser.py skipped: {HOW_TO_INSTALL}", stacklevel=1)
    pytest.skip(HOW_TO_INSTALL, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# Runs in every page before its own scripts: count the websockets it opens, and (when the
# page's address ends in #no-websocket) make each one fail to connect, as behind a proxy
# that does not pass websockets.
WATCH_WEBSOCKETS = """
(function () {
  var Real = window.WebSocket;
  window.__websocketsOpened = 0;
  function Watched(url, protocols) {
    window.__websocketsOpened += 1;
    if (window.location.hash === "#no-websocket") url = "ws://127.0.0.1:9/nothing-listens-here";
    return protocols === undefined ? new Real(url) : new Real(url, protocols);
  }
  Watched.prototype = Real.prototype;
  Watched.CONNECTING = 0; Watched.OPEN = 1; Watched.CLOSING = 2; Watched.CLOSED = 3;
  window.WebSocket = Watched;
})();
"""


def new_browser(profile_root: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(dir=profile_root)}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_WEBSOCKETS})
    return driver


@pytest.fixture(scope="module", autouse=True)
def forget_selenium_afterwards():
    """selenium keeps its own copies of ``time.sleep`` (``from time import sleep``); later
    tests in this process (coopconc.monkey's) look for such copies in ``sys.modules`` and
    would find these. Drop selenium's modules once the browser tests are done."""
    yield
    for name in [
        name for name in sys.modules if name == "selenium" or name.startswith("selenium.")
    ]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def chat_url():
    with ChatProcess() as chat:
        yield chat.url


@pytest.fixture(scope="module")
def browsers():
    profile_root = tempfile.mkdtemp(prefix="coopconc-chromium-")
    started = []
    try:
        for _ in range(3):
            started.append(new_browser(profile_root))
        yield started
    finally:
        for driver in started:
            driver.quit()
        shutil.rmtree(profile_root, ignore_errors=True)


def messages(driver) -> list[str]:
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#messages > *")]


def wait_for(driver, condition, what: str, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(
        lambda d: condition(d), message=f"waited {timeout} s for {what}"
    )


def open_room(driver, url: str, transport: str) -> None:
    driver.get(url)
    wait_for(
        driver,
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-transport") == transport,
        f"{url} on {transport}",
    )


def say(driver, text: str, with_enter: bool) -> None:
    box = driver.find_element(By.ID, "message")
    box.clear()
    box.send_keys(text)
    if with_enter:
        box.send_keys(Keys.ENTER)
    else:
        driver.find_element(By.ID, "send").click()


def poll_requests(driver) -> int:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/poll/')).length"
    )


def test_three_browsers_exchange_messages_exactly_once_as_text(chat_url, browsers):
    alice, bob, carol = browsers
    open_room(alice, chat_url + "topic1/alice", "websocket")
    open_room(bob, chat_url + "topic1/bob", "websocket")
    open_room(carol, chat_url + "topic1/carol?transport=poll", "poll")

    say(alice, "hello from alice", with_enter=False)
    say(bob, "hi alice, bob here", with_enter=True)
    say(carol, "carol polls along", with_enter=True)
    xss = "<img src=x onerror=alert(1)>"
    say(alice, xss, with_enter=True)
    expected = [
        "alice: hello from alice",
        "bob: hi alice, bob here",
        "carol: carol polls along",
        f"alice: {xss}",
    ]

    for driver in browsers:
        wait_for(driver, lambda d: len(messages(d)) >= len(expected), "all four messages")
        shown = messages(driver)
        assert sorted(shown) == sorted(expected), shown  # each exactly once, nothing else
        # Each browser sees its own messages in the order it sent them.
        assert shown.index("alice: hello from alice") < shown.index(f"alice: {xss}")
        assert driver.find_elements(By.CSS_SELECTOR, "#messages img") == []
        assert (
            driver.execute_script("return document.getElementById('messages').children.length") == 4
        )
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018 -- the onerror handler never ran

    # A websocket page makes no /poll requests; a ?transport=poll page opens no websocket.
    assert poll_requests(alice) == 0 and poll_requests(bob) == 0
    assert alice.execute_script("return window.__websocketsOpened") == 1
    assert carol.execute_script("return window.__websocketsOpened") == 0
    assert poll_requests(carol) >= 1


def test_reopened_page_shows_history_then_live_messages(chat_url, browsers):
    alice, bob, _ = browsers
    open_room(bob, chat_url + "topic2/bob", "websocket")
    say(bob, "before dave came", with_enter=True)
    wait_for(bob, lambda d: "bob: before dave came" in messages(d), "bob's own message")
    open_room(alice, chat_url + "topic2/dave", "websocket")
    assert messages(alice)[-1] == "bob: before dave came"  # history, rendered by the server
    say(bob, "welcome dave", with_enter=False)
    wait_for(alice, lambda d: "bob: welcome dave" in messages(d), "the live message")
    assert messages(alice).count("bob: before dave came") == 1


def test_page_falls_back_to_long_polling_when_the_websocket_cannot_connect(chat_url, browsers):
    _, bob, carol = browsers
    open_room(carol, chat_url + "topic2/erin#no-websocket", "poll")
    assert carol.execute_script("return window.__websocketsOpened") == 1  # it tried
    open_room(bob, chat_url + "topic2/bob", "websocket")
    say(bob, "can erin hear me?", with_enter=True)
    wait_for(
        carol, lambda d: "bob: can erin hear me?" in messages(d), "the message, by long polling"
    )
    say(carol, "yes, by polling", with_enter=True)
    wait_for(bob, lambda d: "erin: yes, by polling" in messages(d), "erin's answer")


def test_markup_in_a_uid_is_shown_as_text(chat_url, browsers):
    alice = browsers[0]
    open_room(alice, chat_url + "topic1/%3Cem%3Emallory", "websocket")
    assert alice.find_element(By.ID, "uid").text == "<em>mallory"
    assert alice.find_elements(By.CSS_SELECTOR, "h1 em") == []
    say(alice, "hello", with_enter=True)
    wait_for(
        alice, lambda d: "<em>mallory: hello" in messages(d), "the message with the uid as text"
    )
