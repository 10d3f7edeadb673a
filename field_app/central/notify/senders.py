"""Senders of text messages: `NOTIFY_SENDER = "package.module:function"` names one.

A sender is `send(phone, text, config)`; it returns when the message is handed
over and raises (any exception, its text kept as the message's last error) when
not. A sender that only writes the message down for a person to send carries
`by_hand = True`: its messages are "logged", not "sent", until an officer marks
them sent by hand. No SMS gateway is reachable from a commune office today: the
default one appends to a log file in the central's data folder.
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


log_file.by_hand = True  # type: ignore[attr-defined]
