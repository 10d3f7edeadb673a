"""A non-editable wheel install serves pages: templates and static are shipped."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, tries: int = 100, headers: dict | None = None) -> tuple[int, str]:
    """GET `url`, retrying while the server starts (bounded: about 20 s)."""
    for _ in range(tries):
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.timeout(300)
def test_wheel_install_serves_the_setup_page_and_its_css(tmp_path):
    wheels = tmp_path / "wheels"
    # Built from a copy: setuptools reuses a source tree's build/ folder, and a file
    # renamed since an earlier build (a migration) would ship twice from there.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "build", "dist", "*.egg-info", ".git", "test-artifacts", "__pycache__",
        ".hypothesis", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(wheels)], check=True,
                   cwd=tmp_path)
    (wheel,) = wheels.glob("langnghe-*.whl")
    venv = tmp_path / "venv"
    # System site-packages provide the dependencies offline; the venv's own
    # site-packages come first, so the wheel's field_app is the one imported.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    str(wheel)], check=True)
    where = subprocess.run([str(bindir / "python"), "-c",
                            "import field_app; print(field_app.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(venv) in where
    port = free_port()
    server = subprocess.Popen([str(bindir / "langnghe"), "field", "--port", str(port),
                               "--data", str(tmp_path / "data")], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status, page = get(f"http://127.0.0.1:{port}/setup")
        assert status == 200
        assert "Lắng Nghe" in page and "/static/css/app.css" in page
        status, css = get(f"http://127.0.0.1:{port}/static/css/app.css")
        assert status == 200 and "--red" in css
        # The compiled English catalogue ships too.
        status, english = get(f"http://127.0.0.1:{port}/setup", headers={"Cookie": "lang=en"})
        assert "which commune does this computer serve" in english
        # The PWA shell ships too: the worker's template, the offline page, the icons.
        status, worker = get(f"http://127.0.0.1:{port}/sw.js")
        assert status == 200 and "/static/icons/icon-512.png" in worker
        assert "/static/js/register-sw.js" in worker
        assert get(f"http://127.0.0.1:{port}/offline")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stdout.close()
