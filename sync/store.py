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
    _hash_code,
    central_clock,
    create_enrolment,
    enrol,
    epoch,
    get_device,
    remember_nonce,
    revoke_device,
)
from .feed import publish, pull_changes
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
    on_stored,
)
from .tables import (
    _among,
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
    "CODE_ALPHABET", "ENROLMENT_TTL", "MAX_FIELDS", "MAX_RECORDS_PER_BATCH", "MAX_SEQ", "RANK",
    "BatchResult", "BlobStore", "Checked", "Stored", "_among", "_check_shape", "_hash_code",
    "_listeners", "blob", "central_clock", "change", "conflict", "create_enrolment", "device",
    "enrol", "enrolment", "epoch", "get_device", "ingest_batch", "lacking", "meta",
    "metadata", "nonce", "on_stored", "publish", "pull_changes", "push_log", "record",
    "remember_nonce", "revoke_device",
]
