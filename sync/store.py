"""The central's sync storage, one name for its parts (each in its own module).

* `tables`  — the wire's tables (devices, records as received, the change feed…)
* `devices` — the central's identity, enrolment codes, devices, request nonces
* `ingest`  — `ingest_batch`: a batch from a device, each record checked on its own;
  listeners (`on_stored`) keep other tables in step inside its transaction
* `feed`    — office changes published to laptops (`publish`) and pulled (`pull_changes`)
* `blobs`   — attachments' files, content-addressed, uploads that resume

Plain SQLAlchemy Core on a connection the caller opens: the Flask blueprint,
the bundle import and the benchmarks all go through `ingest_batch`, so a
record arriving by network and by USB takes the same path and is stored once.
"""

from __future__ import annotations

from .blobs import BlobStore
from .devices import (
    CODE_ALPHABET,
    ENROLMENT_TTL,
    central_clock,
    create_enrolment,
    enrol,
    enrolment_expires_at,
    epoch,
    get_device,
    remember_nonce,
    revoke_device,
)
from .feed import _pull_providers, on_pull, publish, publish_many, pull_changes
from .ingest import (
    MAX_FIELDS,
    MAX_RECORDS_PER_BATCH,
    MAX_SEQ,
    RANK,
    BatchResult,
    Checked,
    Stored,
    _check_shape,
    _listeners,
    ingest_batch,
    lacking,
    on_checked,
    on_stored,
    quiet_for,
)
from .tables import (
    among,
    blob,
    change,
    conflict,
    device,
    enrolment,
    meta,
    metadata,
    nonce,
    push_log,
    record,
)

__all__ = [
    "among", "BatchResult", "blob", "BlobStore", "central_clock", "change", "_check_shape",
    "Checked", "CODE_ALPHABET", "conflict", "create_enrolment", "device", "enrol", "enrolment",
    "enrolment_expires_at",
    "ENROLMENT_TTL", "epoch", "get_device", "ingest_batch", "lacking",
    "_listeners", "MAX_FIELDS", "MAX_RECORDS_PER_BATCH", "MAX_SEQ", "meta", "metadata", "nonce",
    "on_checked", "on_pull", "on_stored", "publish", "publish_many", "pull_changes",
    "_pull_providers", "push_log", "quiet_for", "RANK", "record", "remember_nonce",
    "revoke_device", "Stored",
]
