"""Keys and personal-data encryption: AES-GCM for values, HMAC-SHA256 for exact search.

Keys come from :class:`gis.settings.SecuritySettings`. Outside the demo and the tests a missing key is
fatal (``MissingKey``); in the demo each missing key is generated once with ``secrets`` and kept under
``var/keys/`` (mode 0600), so restarts decrypt what earlier runs stored.

Rotation (README, "Keys"): encrypted values start with a version byte, so a later key version can be told
from this one; today the data key is rotated in a maintenance window (decrypt with the old key, encrypt with
the new).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gis.errors import GisError
from gis.settings import SecuritySettings

KEY_NAMES = ("party_key", "data_key", "session_key", "jwt_key")
VERSION = b"\x01"


class MissingKey(GisError):
    """A secret the server needs is not configured."""

    reason = "missing_key"


@dataclass(frozen=True)
class Keys:
    """The process's secrets (bytes)."""

    party: bytes
    data: bytes
    session: bytes
    jwt: bytes


def demo_mode(settings: SecuritySettings) -> bool:
    """Demo, or a test run: keys may be generated locally."""
    return settings.demo or "pytest" in sys.modules


def _generated(key_dir: Path, name: str) -> str:
    """The key file's value, written first if missing.

    The key is written to a file of this process's own and linked into place, so processes starting at once
    (parallel test workers, several servers) all read the one complete key that won, never a half-written one.
    """
    path = key_dir / name
    if not path.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        draft = key_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(secrets.token_bytes(32)).decode())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process's key won
        finally:
            draft.unlink()
    return path.read_text().strip()


def load_keys(settings: SecuritySettings | None = None) -> Keys:
    """Every key, from the environment or (demo and tests) from ``var/keys/``; MissingKey otherwise."""
    settings = settings or SecuritySettings()
    values: dict[str, bytes] = {}
    missing = []
    for name in KEY_NAMES:
        value = getattr(settings, name)
        if not value and demo_mode(settings):
            value = _generated(settings.key_dir, name)
        if not value:
            missing.append(f"FENGQIAO_{name.upper()}")
            continue
        values[name] = _decode(value)
    if missing:
        raise MissingKey(f"the server refuses to start without its keys: set {', '.join(missing)}"
                         " (or FENGQIAO_DEMO=1 for a local demo with generated keys)", reason="missing_key")
    if len(values["data_key"]) not in (16, 24, 32):
        raise MissingKey("FENGQIAO_DATA_KEY must be 16, 24 or 32 bytes, base64-encoded", reason="bad_key")
    return Keys(values["party_key"], values["data_key"], values["session_key"], values["jwt_key"])


def _decode(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
        return raw if len(raw) >= 16 else value.encode()
    except ValueError:
        return value.encode()


@lru_cache(maxsize=1)
def keys() -> Keys:
    """The process's keys (loaded once)."""
    return load_keys()


def keyed_hash(value: str, *, key: bytes) -> bytes:
    """HMAC-SHA256 of a value (exact search without the value)."""
    return hmac.new(key, value.encode(), hashlib.sha256).digest()


def encrypt(plain: str, *, key: bytes, context: str) -> bytes:
    """AES-GCM with a random 96-bit nonce; ``context`` (e.g. ``party.id_number``) is bound as associated data."""
    nonce = secrets.token_bytes(12)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plain.encode(), context.encode())


def decrypt(blob: bytes, *, key: bytes, context: str) -> str:
    """The plain text of :func:`encrypt`'s output (raises on a wrong key, context or a changed byte)."""
    if blob[:1] != VERSION:
        raise ValueError("unknown encryption version")
    return AESGCM(key).decrypt(blob[1:13], blob[13:], context.encode()).decode()
