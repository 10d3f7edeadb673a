"""Request signing: HMAC-SHA256 over method, path, timestamp, nonce and body hash.

Each enrolled device holds a secret shared with the central. A request is
signed over what it does (method and path), when (timestamp), a random
nonce (so a copy can be refused) and the exact body bytes sent. The central
refuses old timestamps and nonces it has already seen.

Laptop clocks are often wrong: the client signs with the central's time as
it last learnt it (every answer carries ``server_time``), not its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

DEVICE_HEADER = "X-LN-Device"
TIMESTAMP_HEADER = "X-LN-Timestamp"
NONCE_HEADER = "X-LN-Nonce"
SIGNATURE_HEADER = "X-LN-Signature"
# A signed request older or newer than this (seconds, by the server's clock) is refused.
MAX_AGE_SECONDS = 300


def new_secret() -> str:
    """Return a fresh device secret (256 bits, hex)."""
    return secrets.token_hex(32)


def new_nonce() -> str:
    return secrets.token_hex(16)


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str,
              body: bytes) -> str:
    """Return the hex HMAC-SHA256 of one request."""
    message = "\n".join((method.upper(), path, timestamp, nonce,
                         hashlib.sha256(body).hexdigest())).encode("utf-8")
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


def sign(device_id: str, secret: str, method: str, path: str, body: bytes,
         clock_offset: float = 0.0) -> dict[str, str]:
    """Return the headers that authenticate one request of this device."""
    timestamp = str(int(time.time() + clock_offset))
    nonce = new_nonce()
    return {
        DEVICE_HEADER: device_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, method, path, timestamp, nonce, body),
    }


def verify(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes,
           given: str) -> bool:
    """Tell whether `given` is this request's signature (constant-time compare)."""
    expected = signature(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, given or "")


def seal(secret: str, payload: bytes) -> str:
    """Return the HMAC of a file's bytes (bundles and acknowledgement files)."""
    return hmac.new(bytes.fromhex(secret), payload, hashlib.sha256).hexdigest()


def check_seal(secret: str, payload: bytes, given: str) -> bool:
    return hmac.compare_digest(seal(secret, payload), given or "")


# --- files carried by hand: encrypted, not only signed --------------------------------

NONCE_BYTES = 12


def _file_key(secret: str, purpose: str) -> bytes:
    """Return the AES-256 key of one kind of file, derived from the device's secret
    (HMAC as a key-derivation function: a key per purpose, the secret itself never used)."""
    return hmac.new(bytes.fromhex(secret), b"langnghe-file\n" + purpose.encode("ascii"),
                    hashlib.sha256).digest()


def encrypt(secret: str, purpose: str, plain: bytes, bound: bytes) -> bytes:
    """Return `plain` encrypted and authenticated (AES-256-GCM) with the device's secret.

    A USB stick is lost or lent: what it carries (citizens' names and phones, a
    denouncer's identity, Luật Tố cáo 2018 Art. 47) is readable only by the laptop
    and the central. `bound` (the file's clear envelope: format, device) is
    authenticated with it, so an envelope naming another device is refused.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(_file_key(secret, purpose)).encrypt(nonce, plain, bound)


def decrypt(secret: str, purpose: str, sealed: bytes, bound: bytes) -> bytes | None:
    """Return what `encrypt` sealed, or None if the key or any byte is not the same."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(_file_key(secret, purpose)).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], bound)
    except (InvalidTag, ValueError):
        return None
