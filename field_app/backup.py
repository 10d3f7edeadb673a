"""Online backups of the laptop's SQLite database, and restoring one."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

REQUIRED_TABLES = {"commune", "village", "forum", "opinion", "alembic_version"}
KEEP_AUTOMATIC = 30


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the user."""


def sqlite_path(database_uri: str) -> Path:
    """Return the file behind a sqlite:/// URI."""
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix):
        raise BackupError("Backups work on the laptop's SQLite database only.")
    return Path(database_uri[len(prefix):])


def backup(database: Path, target: Path) -> Path:
    """Copy `database` to `target` with SQLite's online backup API.

    Safe while the app is running: the copy is one consistent snapshot,
    including what is still in the WAL.
    """
    if not database.exists():
        raise BackupError(f"No database at {database}.")
    target = Path(target)
    if target.is_dir():
        target = target / f"langnghe-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    _copy(database, tmp)
    tmp.replace(target)
    return target


def _copy(source: Path, dest: Path) -> None:
    """Copy one SQLite database over another, page by page, source read-only.

    A new `dest` is created private first: a backup holds the device's sync secret.
    """
    from .config import create_private_file

    create_private_file(Path(dest))
    src = sqlite3.connect(f"file:{Path(source).as_posix()}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()


def check_backup_file(path: Path) -> None:
    """Refuse a file that is not an intact Lắng Nghe database."""
    if not Path(path).is_file():
        raise BackupError(f"No file at {path}.")
    try:
        conn = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (integrity check failed).")
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc}).") from None
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{path} is not a Lắng Nghe database (missing {sorted(missing)}).")


def restore(database: Path, source: Path, safety_dir: Path) -> Path:
    """Replace `database` with the backup `source`; return the safety copy.

    The current database is backed up first, so a wrong restore can itself
    be undone.
    """
    check_backup_file(source)
    safety = None
    if database.exists():
        safety = backup(database, safety_dir / f"before-restore-{datetime.now():%Y%m%d-%H%M%S}"
                        ".sqlite3")
    _copy(source, database)
    return safety or database


def automatic_backup(database: Path, backup_dir: Path, label: str) -> Path:
    """Back up after an important step (e.g. finalising minutes); keep the last 30."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = backup(database, backup_dir / f"{stamp}-{label}.sqlite3")
    old = sorted(backup_dir.glob("*.sqlite3"))[:-KEEP_AUTOMATIC]
    for stale in old:
        stale.unlink(missing_ok=True)
    return path
