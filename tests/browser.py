"""A real field server (waitress, own process) and headless Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    """Poll `url` until it answers; bounded, never loops forever."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server at {url} did not start within {seconds} s")


class FieldServer:
    """`langnghe field` in a subprocess on 127.0.0.1, on its own data folder."""

    def __init__(self, data_dir: Path, options: tuple[str, ...] = (),
                 env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.options = options  # more `langnghe field` options, e.g. --lan
        self.env = env  # the server's environment, when not this process's
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> FieldServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "field_app.cli", "field", "--port", str(self.port),
             "--data", str(self.data_dir), *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        wait_until_up(self.url + "/healthz")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def restart(self, seconds: float = 30) -> FieldServer:
        """Stop the server if it runs, then start it again on the SAME port and data.

        Pages already open keep their address, as after a laptop's server restart.
        """
        self.stop()
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.start()
            except AssertionError:
                # The port may linger a moment after the old process; try again.
                if self.process and self.process.poll() is None:
                    self.process.terminate()
                    self.process.wait(timeout=20)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        # CI installs Chromium (.ci/install), so there a missing browser is a failure;
        # only a developer running pytest by hand without it gets a skip.
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/install must install Debian's chromium")
        pytest.skip("no chromium on PATH: run .ci/install (apt-get install chromium)")
    return path


def watch_csp(page) -> list[str]:
    """Collect every Content-Security-Policy violation the page reports, as text.

    Both ways Chromium tells: the `securitypolicyviolation` event (added to every
    document before its own scripts) and the console error it prints.
    """
    seen: list[str] = []
    page.add_init_script("""document.addEventListener("securitypolicyviolation", function (e) {
        console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI +
                      " " + e.sourceFile + ":" + e.lineNumber);
    });""")
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text or "CSP violation" in message.text
            else None)
    return seen


def wait_for_js(page, script: str, arg=None, seconds: float = 30):
    """Evaluate `script` in the page until it returns something truthy (bounded).

    Instead of Playwright's `wait_for_function`, which runs its predicate with
    `eval` inside the page, and so is blocked by the app's CSP (no
    'unsafe-eval'); `page.evaluate` goes through DevTools and is not.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(script, arg)
        except Error as exc:  # the page navigated meanwhile: ask the new one
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"still false after {seconds} s: {script}")
