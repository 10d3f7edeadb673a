"""Configuration: defaults, the per-user data folder, the secret key."""

from __future__ import annotations

import logging
import os
import secrets
from importlib import metadata
from pathlib import Path

import platformdirs

from sync.protocol import compact

ROLES = ("field", "central")

# The data folder holds the database (with the device's sync secret), the secret key,
# backups and photos: for this user's eyes only. Windows already gives each user a
# private per-user folder, and its chmod only toggles read-only, so it is left as is.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
POSIX = os.name != "nt"
log = logging.getLogger(__name__)


def app_version() -> str:
    """Return the installed langnghe version (a checkout never installed: 0+unknown)."""
    try:
        return metadata.version("langnghe")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def default_data_dir() -> Path:
    """Return the data folder: $LANGNGHE_DATA or the per-user data folder."""
    env = os.environ.get("LANGNGHE_DATA")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("langnghe", appauthor=False))


def load_secret_key(data_dir: Path) -> str:
    """Return the key kept in the data folder, making it on first use.

    Kept on disk so that forms open before a restart still submit after it.
    """
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_hex(32)
    with open(create_private_file(path), "w", encoding="ascii") as out:
        out.write(key)
    return key


def create_private_file(path: Path) -> Path:
    """Create `path` empty and readable by this user only, unless it exists; return it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass
    return path


def make_private(path: Path) -> None:
    """Make an existing folder or file readable by this user only (POSIX)."""
    if not POSIX or not path.exists():
        return
    try:
        path.chmod(PRIVATE_DIR_MODE if path.is_dir() else PRIVATE_FILE_MODE)
    except OSError as exc:  # e.g. a file another user owns: warn, still start
        log.warning("Cannot make %s private: %s", path, exc)


def sqlite_file(database_uri: str) -> Path | None:
    """Return the file of a sqlite:/// URI, or None for another database."""
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix) or database_uri[len(prefix):] in ("", ":memory:"):
        return None
    return Path(database_uri[len(prefix):])


def secure_data_dir(data_dir: Path, database: Path | None) -> None:
    """Create the data folder private, and close up what an older version left open.

    The SQLite file is created here, empty and private, before SQLite opens
    it: SQLite gives its -wal, -shm and -journal files the database file's
    mode, so they are private too whatever the process umask. (`langnghe`
    also sets umask 077, see cli.py, for files made later: thumbnails, bundles.)
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        create_private_file(database)
    if not POSIX:
        return
    backups = data_dir / "backups"
    for path in (data_dir, data_dir / "secret_key", backups,
                 *(sorted(backups.glob("*.sqlite3*")) if backups.is_dir() else ()),
                 *((database, *(database.with_name(database.name + suffix)
                                for suffix in ("-wal", "-shm", "-journal")))
                   if database is not None else ())):
        make_private(path)




def build_config(overrides: dict | None = None) -> dict:
    """Return the full configuration for `create_app`, `overrides` applied."""
    overrides = dict(overrides or {})
    data_dir = Path(overrides.pop("DATA_DIR", None) or default_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    config = {
        "ROLE": "field",
        "DATA_DIR": data_dir,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + (data_dir / "langnghe.sqlite3").as_posix(),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        # A phone photo of signed minutes is a few MB; refuse anything far bigger.
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # Phones on the hotspot keep a session (the PIN); never send it cross-site.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "PAGE_SIZE": 50,
        # Sync: tries per request before giving up until the next run, first backoff (s).
        "SYNC_ATTEMPTS": 5,
        "SYNC_BACKOFF": 1.0,
        "SYNC_TIMEOUT": (10.0, 120.0),
        # Seconds between background syncs when the central answers; doubled on failure.
        "AUTO_SYNC_INTERVAL": 60,
        # Office login: wrong tries allowed per name and per address within the window (s).
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW": 15 * 60,
    }
    config.update(overrides)
    if config["ROLE"] not in ROLES:
        raise ValueError(f"ROLE must be one of {ROLES}, not {config['ROLE']!r}")
    secure_data_dir(data_dir, sqlite_file(config["SQLALCHEMY_DATABASE_URI"]))
    config.setdefault("SECRET_KEY", load_secret_key(data_dir))
    options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # JSON columns (records at the central) as compact UTF-8: a third smaller, faster.
    options.setdefault("json_serializer", compact)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Several waitress processes share one PostgreSQL: drop dead pooled connections.
        options.setdefault("pool_pre_ping", True)
        # Plan every statement for its own values. psycopg prepares a statement run five
        # times, and PostgreSQL then settles on one generic plan for every value: the
        # inbox's search ("cau treo": no opinion; "duong": a third of a million) went from
        # 25 to 150 ms a page at the eleventh look and stayed there.
        options.setdefault("connect_args", {}).setdefault(
            "options", "-c plan_cache_mode=force_custom_plan")
    else:
        # Python's sqlite3 keeps the last 128 statements of each connection prepared: a
        # push's `id IN (…5,000 ids)` and multi-row inserts take ~1 MB each, one more for
        # nearly every batch size, and a central held 70 MB of them after 100,000 records.
        # A batch runs a few dozen statements; preparing one again costs ~30 µs.
        options.setdefault("connect_args", {}).setdefault("cached_statements", 16)
    return config
