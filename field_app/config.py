"""Configuration: defaults, the per-user data folder, the secret key."""

from __future__ import annotations

import json
import os
import secrets
from importlib import metadata
from pathlib import Path

import platformdirs

ROLES = ("field", "central")


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
    path.write_text(key, encoding="ascii")
    return key


def compact_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_config(overrides: dict | None = None) -> dict:
    """Return the full configuration for `create_app`, `overrides` applied."""
    overrides = dict(overrides or {})
    data_dir = Path(overrides.pop("DATA_DIR", None) or default_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True)
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
    config.setdefault("SECRET_KEY", load_secret_key(data_dir))
    options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # JSON columns (records at the central) as compact UTF-8: a third smaller, faster.
    options.setdefault("json_serializer", compact_json)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Several waitress processes share one PostgreSQL: drop dead pooled connections.
        options.setdefault("pool_pre_ping", True)
    return config
