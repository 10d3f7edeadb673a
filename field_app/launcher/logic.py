"""An icon on the laptop's desktop that starts Lắng Nghe and opens it: no terminal.

The village head opens the app every meeting day; typing `langnghe field` in a
terminal is not something a village head does. The icon runs this install's own
Python (`sys.executable -m field_app.cli field --open`), so it works without the
virtual environment being activated: it starts the server and opens the browser
on it, or, when Lắng Nghe already runs, only opens the browser. A window stays
open while it runs (closing it stops the app; an error stays readable in it).

One file per system, on the desktop `platformdirs` finds (a Windows desktop moved
to OneDrive, a Linux desktop named in the user's language):
  * Windows: "Lắng Nghe.cmd";
  * Linux: "langnghe.desktop", also put in the applications menu;
  * macOS: "Lắng Nghe.command".
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

NAME = "Lắng Nghe"
# Which file the icon is, by `sys.platform` family.
FILE_NAMES = {"windows": f"{NAME}.cmd", "linux": "langnghe.desktop", "mac": f"{NAME}.command"}


class LauncherError(Exception):
    """The icon could not be made; the message says why, for the person."""


@dataclass(frozen=True)
class Made:
    """Where the icon was written (and the menu entry, on Linux)."""

    desktop: Path
    menu: Path | None = None


def system(platform: str = sys.platform) -> str:
    """Return "windows", "mac" or "linux" (any other Unix is treated as Linux)."""
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "mac"
    return "linux"


def command(port: int, data_dir: Path | None, python: str = sys.executable) -> list[str]:
    """Return the command the icon runs: this install's Python, the same port and data.

    `data_dir` None: the default data folder, left for `langnghe field` to find.
    """
    args = [python, "-m", "field_app.cli", "field", "--open", "--port", str(port)]
    if data_dir is not None:
        args += ["--data", str(data_dir)]
    return args


def _cmd_quote(arg: str) -> str:
    # cmd.exe: double quotes around anything with a space or a special character; a
    # percent sign doubled so that a folder named "50%" is not read as a variable.
    arg = arg.replace("%", "%%")
    return f'"{arg}"' if any(c in arg for c in ' \t&()[]{}^=;!\'+,`~|<>') else arg


def windows_script(args: list[str]) -> str:
    """Return the .cmd file: UTF-8 code page, a title, the command; on an error the
    window waits for a key so the message can be read."""
    lines = ["@echo off", "chcp 65001 >nul", f"title {NAME}",
             " ".join(_cmd_quote(arg) for arg in args),
             "if errorlevel 1 pause"]
    return "\r\n".join(lines) + "\r\n"


def _exec_quote(arg: str) -> str:
    # The Desktop Entry specification: an argument with a reserved character goes in
    # "…" with a backslash before " ` $ \; a literal % is doubled (%f and the like are
    # field codes). The file's string escapes are undone before the quoting is read,
    # so every backslash of the quoted form is itself written twice.
    if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%")
    return '"' + quoted.replace("\\", "\\\\") + '"'


def desktop_entry(args: list[str], icon: Path | None = None) -> str:
    """Return the .desktop file: runs in a terminal window, which shows the app running."""
    if icon is None:
        from .. import asset_dir

        icon = asset_dir("static") / "icons" / "icon-192.png"
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        f"Name={NAME}",
        "Comment=Ghi ý kiến hội nghị Chính quyền lắng nghe ý kiến Nhân dân",
        "Exec=" + " ".join(_exec_quote(arg) for arg in args),
        f"Icon={icon}",
        "Terminal=true",
        "Categories=Office;",
        "",
    ])


def mac_script(args: list[str]) -> str:
    """Return the .command file (a shell script Finder opens in Terminal)."""
    import shlex

    return "#!/bin/sh\n" + " ".join(shlex.quote(arg) for arg in args) + "\n"


def desktop_folder() -> Path:
    """Return the user's desktop folder (the system's own name and place for it)."""
    return Path(platformdirs.user_desktop_dir())


def shortcut_path(platform: str = sys.platform) -> Path:
    """Return where the icon is (or would be) on the desktop."""
    return desktop_folder() / FILE_NAMES[system(platform)]


def has_shortcut(platform: str = sys.platform) -> bool:
    return shortcut_path(platform).is_file()


def _write(path: Path, text: str, executable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    # newline="": the Windows script's \r\n are written as they are.
    temporary.write_text(text, encoding="utf-8", newline="")
    if executable:
        temporary.chmod(temporary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(temporary, path)


def make_shortcut(port: int, data_dir: Path | None, platform: str = sys.platform,
                  python: str = sys.executable) -> Made:
    """Write the icon on the desktop (and the applications menu on Linux); return where.

    Raises LauncherError when the desktop cannot be written to.
    """
    args = command(port, data_dir, python)
    kind = system(platform)
    target = shortcut_path(platform)
    try:
        if kind == "windows":
            _write(target, windows_script(args), executable=False)
            return Made(target)
        if kind == "mac":
            _write(target, mac_script(args), executable=True)
            return Made(target)
        entry = desktop_entry(args)
        _write(target, entry, executable=True)
        menu = Path(platformdirs.user_data_dir("applications", appauthor=False)) / target.name
        _write(menu, entry, executable=True)
    except OSError as exc:
        raise LauncherError(f"{target.parent}: {exc.strerror or exc}") from None
    _trust(target)
    return Made(target, menu)


def _trust(path: Path) -> None:
    """Let GNOME's desktop run the icon without asking (best effort: no gio, no harm)."""
    try:
        subprocess.run(["gio", "set", str(path), "metadata::trusted", "true"],
                       capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        pass
