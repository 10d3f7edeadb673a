"""The key that seals denouncers' identities: outside the database, made on first start.

Given by the environment (`LANGNGHE_IDENTITY_KEY`, for several servers sharing one
PostgreSQL) or the `IDENTITY_KEY` setting, else kept in `identity.key` in the
central's data folder, readable by its user only. A database backup without this
key cannot reveal an identity; losing the key loses every sealed identity
(README: back it up apart from the database).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ...config import PRIVATE_FILE_MODE

KEY_ENV = "LANGNGHE_IDENTITY_KEY"
KEY_FILE = "identity.key"


class Sealer:
    """Encrypt and decrypt one identity (a small JSON object) with the central's key."""

    def __init__(self, key: bytes | str) -> None:
        self._fernet = Fernet(key)

    def seal(self, identity: dict[str, Any]) -> str:
        plain = json.dumps(identity, ensure_ascii=False, separators=(",", ":"))
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> dict[str, Any]:
        """Return the identity; raise InvalidToken when sealed with another key."""
        return json.loads(self._fernet.decrypt(sealed.encode("ascii")))


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def load_key(config: dict) -> bytes:
    """Return the key from the environment, the config or the data folder (made if absent)."""
    given = os.environ.get(KEY_ENV) or config.get("IDENTITY_KEY")
    if given:
        return given.encode("ascii") if isinstance(given, str) else given
    path = key_file(config["DATA_DIR"])
    try:
        # O_EXCL: two processes starting together never make two keys.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        for _ in range(50):  # the other process may still be writing it
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: restore the identity key from its backup"
                           ) from None
    key = Fernet.generate_key()
    with os.fdopen(handle, "wb") as out:
        out.write(key)
    return key


def sealer_for(app) -> Sealer:
    """Return this app's sealer (made once per app)."""
    found = app.extensions.get("identity_sealer")
    if found is None:
        found = app.extensions["identity_sealer"] = Sealer(load_key(app.config))
    return found


__all__ = ["InvalidToken", "KEY_ENV", "KEY_FILE", "Sealer", "key_file", "load_key",
           "sealer_for"]
