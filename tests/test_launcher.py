"""The desktop icon: `langnghe shortcut`, `langnghe field --open`, the forum list's offer.

The icon's command is run for real (its own processes, a real port), with the
browser replaced through the BROWSER variable Python's webbrowser reads by a
script that writes down the address it was asked to open. Every file is made
under the test's own folder: HOME and the XDG folders point there.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from field_app.launcher import logic
from field_app.launcher.views import DECLINED, offer

from .browser import FieldServer, free_port
from .conftest import laptop_folder


def home(tmp_path: Path) -> dict[str, str]:
    """Return an environment whose desktop and applications menu are under tmp_path."""
    return {**os.environ, "HOME": str(tmp_path / "home"),
            "XDG_DESKTOP_DIR": str(tmp_path / "home" / "Màn hình nền"),
            "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share")}


@pytest.fixture
def desktop(tmp_path, monkeypatch) -> Path:
    """This process's desktop, moved under tmp_path."""
    for name, value in home(tmp_path).items():
        monkeypatch.setenv(name, value)
    return tmp_path / "home" / "Màn hình nền"


def browser_recorder(tmp_path: Path) -> tuple[str, Path]:
    """Return a BROWSER value and the file it writes each opened address to."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.py"
    script.write_text("import sys\nwith open(sys.argv[2], 'a') as f:\n"
                      "    f.write(sys.argv[1] + '\\n')\n", encoding="utf-8")
    return shlex.join([sys.executable, str(script), "%s", str(opened)]), opened


def opened_addresses(path: Path, count: int, seconds: float = 20) -> list[str]:
    """Wait (bounded) until `count` addresses were opened; return them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"the browser was not opened {count} time(s) in {seconds} s")


def exec_args(entry: str) -> list[str]:
    """Return the command of a .desktop file's Exec line, as the specification reads it:
    the string's escapes first (two backslashes are one), then the quoting ("…", inside
    which a backslash before " ` $ or itself stands for that character), then %% as %."""
    line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r",
                                          "\\": "\\"}.get(m.group(1), m.group(0)),
                   line.removeprefix("Exec="))
    args, current, quoted, at = [], None, False, 0
    while at < len(value):
        char = value[at]
        if quoted and char == "\\" and value[at + 1:at + 2] in ('"', "`", "$", "\\"):
            current, at = (current or "") + value[at + 1], at + 2
            continue
        if char == '"':
            quoted, current = not quoted, current or ""
        elif char == " " and not quoted:
            if current is not None:
                args.append(current)
            current = None
        else:
            current = (current or "") + char
        at += 1
    assert not quoted, f"unclosed quote in {line!r}"
    if current is not None:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def test_each_system_gets_a_file_that_runs_this_install_on_the_same_port_and_data():
    python = "C:\\Users\\Lò Văn\\50% app\\.venv\\Scripts\\python.exe"
    args = logic.command(8123, Path("D:/Dữ liệu/lắng nghe"), python)
    assert args[:7] == [python, "-m", "field_app.cli", "field", "--open", "--port", "8123"]
    assert args[7:] == ["--data", str(Path("D:/Dữ liệu/lắng nghe"))]
    assert logic.command(8080, None, "py")[-2:] == ["--port", "8080"]  # default data

    script = logic.windows_script(args)
    assert script.endswith("\r\n") and "\n" not in script.replace("\r\n", "")
    lines = script.split("\r\n")
    assert lines[:3] == ["@echo off", "chcp 65001 >nul", "title Lắng Nghe"]
    # The path with spaces quoted, its % doubled; an error waits for a key.
    assert lines[3].startswith('"C:\\Users\\Lò Văn\\50%% app\\.venv\\Scripts\\python.exe" -m')
    assert lines[4] == "if errorlevel 1 pause"

    odd = ["/home/lò văn/$HOME/a\"b`c\\d/python3", "-m", "field_app.cli", "50%"]
    entry = logic.desktop_entry(odd, icon=Path("/x/icon-192.png"))
    assert "Name=Lắng Nghe" in entry and "Terminal=true" in entry
    assert exec_args(entry) == odd

    mac = logic.mac_script(odd)
    assert mac.startswith("#!/bin/sh\n") and shlex.split(mac.splitlines()[1]) == odd

    assert [logic.system(name) for name in ("win32", "darwin", "linux", "freebsd14")] == [
        "windows", "mac", "linux", "linux"]


def test_langnghe_shortcut_makes_an_icon_that_starts_the_app_then_only_opens_it(tmp_path):
    env = home(tmp_path)
    data_dir = tmp_path / "laptop"
    with laptop_folder(data_dir):
        pass
    port = free_port()
    made = subprocess.run([sys.executable, "-m", "field_app.cli", "shortcut", "--port",
                           str(port), "--data", str(data_dir)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    icon = Path(env["XDG_DESKTOP_DIR"]) / "langnghe.desktop"
    menu = Path(env["XDG_DATA_HOME"]) / "applications" / "langnghe.desktop"
    assert str(icon) in made.stdout and str(menu) in made.stdout
    assert icon.read_text(encoding="utf-8") == menu.read_text(encoding="utf-8")
    assert os.access(icon, os.X_OK)
    args = exec_args(icon.read_text(encoding="utf-8"))
    assert args[0] == sys.executable and args[-2:] == ["--data", str(data_dir)]

    browser, opened = browser_recorder(tmp_path)
    env["BROWSER"] = browser
    # The first double-click: the app starts, then the browser opens on it.
    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        address = f"http://127.0.0.1:{port}/"
        assert opened_addresses(opened, 1) == [address]
        with urllib.request.urlopen(address + "healthz", timeout=10) as answer:
            assert answer.status == 200
        # The second: the app already runs; only the browser opens, and the app stays.
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert "đang chạy rồi" in again.stdout
        assert opened_addresses(opened, 2) == [address, address]
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=20)


def test_field_open_on_a_port_held_by_something_else_says_so(tmp_path):
    """Not Lắng Nghe on the port: the usual refusal, the browser not opened."""
    import socket

    browser, opened = browser_recorder(tmp_path)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "field_app.cli", "field", "--open",
                               "--port", str(port), "--data", str(tmp_path / "d")],
                              env={**home(tmp_path), "BROWSER": browser},
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Không mở được cổng" in done.stderr + done.stdout
    assert not opened.exists()


def test_the_forum_list_offers_the_icon_until_made(app, client, commune, desktop):
    page = client.get("/")
    assert page.status_code == 200 and 'id="launcher-offer"' in page.text
    made = client.post("/launcher/shortcut", base_url="http://127.0.0.1:8123",
                       follow_redirects=True)
    assert made.status_code == 200
    assert "Đã tạo biểu tượng" in made.text and 'id="launcher-offer"' not in made.text
    args = exec_args((desktop / "langnghe.desktop").read_text(encoding="utf-8"))
    # The port it was served on, and this app's data folder (not the default one).
    assert args[4:] == ["--open", "--port", "8123", "--data",
                        str(Path(app.config["DATA_DIR"]).resolve())]


def test_no_thanks_hides_the_offer_and_makes_nothing(app, client, commune, desktop):
    done = client.post("/launcher/decline", follow_redirects=True)
    assert done.status_code == 200 and 'id="launcher-offer"' not in done.text
    assert (Path(app.config["DATA_DIR"]) / DECLINED).exists()
    assert not desktop.exists()


def test_a_phone_is_neither_offered_the_icon_nor_may_make_one(app, client, commune,
                                                              desktop):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert not offer()
    refused = client.post("/launcher/shortcut",
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert refused.status_code == 403
    assert not desktop.exists()


def test_a_desktop_that_cannot_be_written_says_what_to_do(app, client, commune, desktop):
    desktop.parent.mkdir(parents=True)
    desktop.write_text("a file, not a folder")
    page = client.post("/launcher/shortcut", follow_redirects=True)
    assert page.status_code == 200
    assert "Không tạo được biểu tượng" in page.text and "langnghe shortcut" in page.text
    assert desktop.read_text() == "a file, not a folder"


def test_the_offer_button_in_a_browser(tmp_path, page):
    data_dir = tmp_path / "laptop"
    with laptop_folder(data_dir):
        pass
    env = home(tmp_path)
    server = FieldServer(data_dir, env=env).start()
    try:
        page.goto(server.url + "/")
        page.get_by_role("button", name="Tạo biểu tượng trên màn hình nền").click()
        page.wait_for_selector(".flash.success")
        assert "Đã tạo biểu tượng" in page.inner_text(".flash.success")
        assert page.locator("#launcher-offer").count() == 0
    finally:
        server.stop()
    icon = Path(env["XDG_DESKTOP_DIR"]) / "langnghe.desktop"
    assert exec_args(icon.read_text(encoding="utf-8"))[4:7] == ["--open", "--port",
                                                                str(server.port)]
