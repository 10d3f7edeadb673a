"""Online backups of the laptop's SQLite database, and restoring one.

A backup file the village head takes away (`archive`) is a zip of the database and
every photo and scan (attachments/, named by their SHA-256); `restore_archive` takes
one back, or a bare database file (the automatic copies, `langnghe backup`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

REQUIRED_TABLES = {"commune", "village", "forum", "opinion", "alembic_version"}
KEEP_AUTOMATIC = 30
# In a backup zip: the database, and each stored file as attachments/ab/abcd….
ARCHIVE_DATABASE = "langnghe.sqlite3"
_BLOB = re.compile(r"attachments/([0-9a-f]{2})/(\1[0-9a-f]{62})")
# No photo or scan the laptop stores is larger (ATTACHMENT_MAX_BYTES is 20 MB).
MOST_BLOB_BYTES = 64 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the user."""


def sqlite_path(database_uri: str) -> Path:
    """Return the file behind a sqlite:/// URI."""
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix):
        raise BackupError(_("Chỉ sao lưu được cơ sở dữ liệu SQLite của máy bản."))
    return Path(database_uri[len(prefix):])


def backup(database: Path, target: Path) -> Path:
    """Copy `database` to `target` with SQLite's online backup API.

    Safe while the app is running: the copy is one consistent snapshot,
    including what is still in the WAL.
    """
    if not database.exists():
        raise BackupError(_("Không có cơ sở dữ liệu ở %(path)s.", path=database))
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
    from ..config import create_private_file

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
        raise BackupError(_("Không có tệp %(path)s.", path=path))
    try:
        conn = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(_("Tệp %(name)s bị hỏng (không qua được kiểm tra toàn vẹn).",
                                   name=Path(path).name))
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("Tệp %(name)s không phải tệp sao lưu của Lắng Nghe (%(error)s).",
                           name=Path(path).name, error=exc)) from None
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(_("Tệp %(name)s không phải tệp sao lưu của Lắng Nghe (thiếu bảng "
                            "%(tables)s).", name=Path(path).name,
                            tables=", ".join(sorted(missing))))


def restore(database: Path, source: Path, safety_dir: Path) -> Path:
    """Replace `database` with the backup `source`; return the safety copy.

    The current database is backed up first, so a wrong restore can itself
    be undone.
    """
    check_backup_file(source)
    safety = None
    if database.exists():
        # To the microsecond: the copy restored may be the one taken a moment ago.
        safety = backup(database, safety_dir / f"before-restore-{datetime.now():%Y%m%d-%H%M%S-%f}"
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


def archive(database: Path, attachments: Path, out: BinaryIO) -> int:
    """Write to `out` a zip of a snapshot of `database` and every stored file under
    `attachments`; return how many files it holds besides the database.

    The snapshot is taken as `backup` does (safe while the app runs), in a private
    folder beside the database: it holds the laptop's sync secret.
    """
    with tempfile.TemporaryDirectory(dir=database.parent) as folder:
        snapshot = backup(database, Path(folder) / ARCHIVE_DATABASE)
        blobs = sorted(path for path in attachments.glob("??/*")
                       if _BLOB.fullmatch(f"attachments/{path.parent.name}/{path.name}"))
        with zipfile.ZipFile(out, "w") as zipped:
            zipped.write(snapshot, ARCHIVE_DATABASE, compress_type=zipfile.ZIP_DEFLATED)
            for path in blobs:  # photos and PDFs are compressed already
                zipped.write(path, f"attachments/{path.parent.name}/{path.name}",
                             compress_type=zipfile.ZIP_STORED)
    return len(blobs)


def restore_archive(database: Path, source: Path, attachments: Path, safety_dir: Path
                    ) -> tuple[Path, int]:
    """Restore a backup zip (`archive`) or a bare database file; return (the safety copy
    of the database replaced, how many photos and scans were put back).

    Everything is checked before anything is replaced. Stored files are only added
    (each checked against its name, its SHA-256): none is ever removed or overwritten.
    """
    if not zipfile.is_zipfile(source):
        return restore(database, source, safety_dir), 0
    with zipfile.ZipFile(source) as zipped, \
            tempfile.TemporaryDirectory(dir=database.parent) as folder:
        try:
            member = zipped.getinfo(ARCHIVE_DATABASE)
        except KeyError:
            raise BackupError(_("Tệp này không phải tệp sao lưu của Lắng Nghe (không có "
                                "cơ sở dữ liệu bên trong).")) from None
        extracted = Path(folder) / ARCHIVE_DATABASE
        try:
            with zipped.open(member) as inside, extracted.open("wb") as copy:
                shutil.copyfileobj(inside, copy)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(_("Tệp sao lưu bị hỏng (%(error)s).", error=exc)) from None
        check_backup_file(extracted)
        put_back = _put_back_blobs(zipped, attachments)
        return restore(database, extracted, safety_dir), put_back


def _put_back_blobs(zipped: zipfile.ZipFile, attachments: Path) -> int:
    """Copy the zip's stored files the laptop lacks; skip any whose content is not its
    name's (a damaged or altered file is never stored under a valid hash)."""
    added = 0
    for member in zipped.infolist():
        found = _BLOB.fullmatch(member.filename)
        if found is None or member.file_size > MOST_BLOB_BYTES:
            continue
        target = attachments / found.group(1) / found.group(2)
        if target.exists():
            continue
        attachments.mkdir(parents=True, exist_ok=True)
        part = attachments / (target.name + ".part")
        digest = hashlib.sha256()
        try:
            with zipped.open(member) as inside, part.open("wb") as copy:
                while chunk := inside.read(1 << 20):
                    digest.update(chunk)
                    copy.write(chunk)
        except (zipfile.BadZipFile, OSError):
            part.unlink(missing_ok=True)
            continue
        if digest.hexdigest() != found.group(2):
            part.unlink(missing_ok=True)
            continue
        target.parent.mkdir(exist_ok=True)
        part.replace(target)
        added += 1
    return added


def automatic_copies(backup_dir: Path) -> list[tuple[str, datetime, int]]:
    """Return the automatic copies (name, when taken in UTC as the app stores times,
    bytes), newest first: shown in the commune's time zone like every other time."""
    copies = []
    for path in backup_dir.glob("*.sqlite3"):
        stat = path.stat()
        taken = datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)
        copies.append((path.name, taken, stat.st_size))
    return sorted(copies, key=lambda item: item[1], reverse=True)
