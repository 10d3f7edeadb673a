"""The data folder (database with the device's secret, key, backups) is private to its user."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from field_app import create_app
from field_app.cli import upgrade_database
from field_app.extensions import db

from .browser import FieldServer

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes; Windows keeps the "
                                "per-user folder private")


def open_to_others(root: Path) -> list[str]:
    """Return every folder or file under `root` (itself included) others may read or enter."""
    return [f"{path} {stat.filemode(path.stat().st_mode)}"
            for path in (root, *sorted(root.rglob("*")))
            if path.stat().st_mode & 0o077]


def test_a_new_field_laptop_keeps_everything_private(tmp_path):
    data = tmp_path / "data"
    server = FieldServer(data).start()
    try:
        # A backup by the command line, while the app runs (WAL and SHM files exist).
        subprocess.run([sys.executable, "-m", "field_app.cli", "backup",
                        str(data / "backups"), "--data", str(data)],
                       check=True, capture_output=True, timeout=60)
    finally:
        server.stop()
    names = {path.name for path in data.rglob("*")}
    assert {"secret_key", "langnghe.sqlite3", "backups"} <= names
    assert any(name.endswith("-wal") for name in names)
    assert open_to_others(data) == []


def test_the_app_alone_makes_the_key_and_database_private(tmp_path):
    """Without the command's umask (tests, embedding): explicit modes still apply."""
    previous = os.umask(0o022)
    try:
        app = create_app({"DATA_DIR": tmp_path / "data"})
        upgrade_database(app)
        with app.app_context():
            db.session.execute(db.text("SELECT 1"))
            assert open_to_others(tmp_path / "data") == []
            db.engine.dispose()
    finally:
        os.umask(previous)


def test_an_open_folder_left_by_an_older_version_is_closed_at_start(tmp_path):
    data = tmp_path / "data"
    app = create_app({"DATA_DIR": data})
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()
    backups = data / "backups"
    backups.mkdir()
    (backups / "langnghe-20260101-080000.sqlite3").write_bytes(b"")
    for path in (data, backups):
        path.chmod(0o755)
    for path in (data / "secret_key", data / "langnghe.sqlite3",
                 backups / "langnghe-20260101-080000.sqlite3"):
        path.chmod(0o644)
    assert open_to_others(data)

    again = create_app({"DATA_DIR": data})
    with again.app_context():
        db.engine.dispose()
    assert open_to_others(data) == []
