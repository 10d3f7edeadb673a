"""A non-editable wheel install serves pages: templates and static are shipped."""

import os
import shutil
import site
import socket
import subprocess
import sys
import sysconfig
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


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / (
        "python.exe" if os.name == "nt" else "python")


def running_site_dirs() -> list[str]:
    """Return the site directories of the interpreter running the tests, in its order."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    # Debian's python3 keeps packages in dist-packages folders that are only on sys.path.
    dirs += [entry for entry in sys.path if entry.endswith(("site-packages", "dist-packages"))]
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


@pytest.mark.timeout(300)
def test_wheel_install_serves_the_setup_page_and_its_css(tmp_path):
    wheels = tmp_path / "wheels"
    # Built from a copy: setuptools reuses a source tree's build/ folder, and a file
    # renamed since an earlier build (a migration) would ship twice from there.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "build", "dist", "*.egg-info", ".git", ".venv", "test-artifacts", "__pycache__",
        ".hypothesis", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(wheels)], check=True,
                   cwd=tmp_path)
    (wheel,) = wheels.glob("langnghe-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    str(wheel)], check=True)
    # The dependencies come offline from the environment running the tests (a venv,
    # or the system's Python): its site directories go after the new venv's own, as
    # plain path entries — their .pth files (this tree's editable install) are not
    # read, so the wheel's field_app is the one imported. Written after the install:
    # pip would otherwise find the running environment's langnghe and skip the wheel.
    purelib = subprocess.run([str(venv_python(venv)), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "running-env.pth").write_text(
        "".join(f"{path}\n" for path in running_site_dirs()), encoding="utf-8")
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


def readme_commands() -> list[str]:
    """Return the one-line shell commands of the README's "Two commands" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in section.split("```sh\n")[1:]
            for block in [block.split("```", 1)[0]]]


def test_ci_runs_exactly_the_readmes_test_command():
    start, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == tests
    assert "python -m pytest" in tests


def test_readme_commands_make_a_venv_first_where_pip_install_is_refused():
    """PEP 668: Debian's python3 refuses `pip install` outside a virtual environment."""
    for command in readme_commands():
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && "), command
    start, _ = readme_commands()
    assert start.endswith("pip install . && langnghe field")


def test_every_python_package_is_listed_for_the_wheel():
    """setup.cfg lists packages by hand: a new domain package left out ships broken."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in ("field_app", "sync") for init in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


def test_every_template_and_static_file_ships_in_the_wheel():
    """templates/ and static/ are mapped into field_app by hand in setup.cfg: a new folder
    (or a new kind of file) left out of `package_data` is a 500 on a user's install only."""
    import configparser
    from fnmatch import fnmatch

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    shipped = {name.strip(): [glob.strip() for glob in value.split(",")]
               for name, value in config["options.package_data"].items()}
    listed = set(config["options"]["packages"].split())
    missing = []
    for top in ("templates", "static"):
        for path in (ROOT / top).rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            package = ".".join(("field_app", *path.parent.relative_to(ROOT).parts))
            if package not in listed or not any(
                    fnmatch(path.name, glob) for glob in shipped.get(package, ())):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
