"""Senders of text messages: `NOTIFY_SENDER = "package.module:function"` names one.

A sender is `send(phone, text, config)`; it returns when the message is handed
over and raises (any exception, its text kept as the message's last error) when
not. No SMS gateway is reachable from a commune office today: the default one
appends to a log file in the central's data folder, for a person to send or check.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from ...config import PRIVATE_FILE_MODE

LOG_FILE = "sms-outbox.log"


def log_file(phone: str, text: str, config) -> None:
    """Append the message to `sms-outbox.log` in the data folder (readable by its user only)."""
    path = Path(config["DATA_DIR"]) / LOG_FILE
    line = "\t".join((datetime.now(UTC).isoformat(timespec="seconds"), phone,
                      " ".join(text.split()))) + "\n"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    with os.fdopen(handle, "a", encoding="utf-8") as out:
        out.write(line)
