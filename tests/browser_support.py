"""A live API server in a thread, a headless Chromium, and signing in as people do (form or device link)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.main import create_app
from gis.accounts import admin
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.pool import connect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(db: DatabaseSettings) -> Iterator[str]:
    """Serve the app on a free loopback port until the block ends; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(AppSettings(), db), host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)  # the app trusts only FENGQIAO_TRUSTED_PROXIES
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, with no background network traffic."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# -- signing in as people do: the /login form with a password, or a device link issued in the console --------

PASSWORD = "Browser-horse-9"


def make_person(db: DatabaseSettings, username: str, role: str, *, town: str | None = None,
                staff_code: str | None = None, display: str = "") -> int:
    """An account with a password (as `fengqiao users add` makes it); returns its id."""
    with connect(db) as c:
        user = admin.create_user(c, actor=None, username=username, role=role, town_code=town, staff_code=staff_code,
                                 display=display or username, password=PASSWORD)
        c.commit()
        return user.id


def sign_in(page: Page, base_url: str, username: str, *, next_path: str | None = None,
            password: str = PASSWORD) -> None:
    """Open /login (optionally asked to return to ``next_path``), type the name and password, press 登录."""
    page.goto(base_url + "/login" + (f"?next={quote(next_path, safe='')}" if next_path else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def issue_device_link(page: Page, field_user_id: int, *, label: str = "", screenshot: Path | None = None) -> str:
    """In a signed-in console: the 设备 tab, pick the field account, 生成登录二维码; the link the QR code holds."""
    page.click("button[data-tab=devices]")
    page.wait_for_selector(f"#device-user option[value='{field_user_id}']", state="attached")
    page.select_option("#device-user", str(field_user_id))
    if label:
        page.fill("#device-label", label)
    page.click("#device-issue")
    page.wait_for_selector("#device-link img.qr")
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    return page.text_content("#device-url") or ""


def open_device_link(phone: Page, url: str) -> None:
    """What a phone does after scanning: open the link and press 在本机登录 (lands on /field)."""
    phone.goto(url)
    phone.click("#device-sign-in")
    phone.wait_for_url("**/field")


def page_errors(page: Page) -> list[str]:
    """Console errors (CSP violations included) and uncaught exceptions of a page, collected as they come."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


class RestartableServer:
    """A live server that can be stopped and started again on the same port (the phone keeps its origin)."""

    def __init__(self, db: DatabaseSettings) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve a fresh app instance until ``stop``."""
        config = uvicorn.Config(create_app(AppSettings(), self.db), host="127.0.0.1", port=self.port,
                                log_level="warning", proxy_headers=False)
        self._server = server = uvicorn.Server(config)
        self._thread = thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop serving: connections to the port are refused from now on."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
            self._server = self._thread = None


@contextmanager
def restartable_server(db: DatabaseSettings) -> Iterator[RestartableServer]:
    """A started RestartableServer, stopped when the block ends."""
    server = RestartableServer(db)
    server.start()
    try:
        yield server
    finally:
        server.stop()
