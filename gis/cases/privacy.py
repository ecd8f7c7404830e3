"""Personal data of parties: keyed hashes for matching, masks for display."""

from __future__ import annotations

import hashlib
import hmac


def id_number_hash(id_number: str, *, key: str) -> bytes:
    """HMAC-SHA256 of a normalised ID number: matches repeats without storing the number."""
    normalised = id_number.strip().upper().replace(" ", "")
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).digest()


def mask_id_number(id_number: str) -> str:
    """4416**********1234: region and last four digits only."""
    s = id_number.strip()
    return s[:4] + "*" * max(len(s) - 8, 0) + s[-4:] if len(s) > 8 else "*" * len(s)


def mask_name(name: str) -> str:
    """张*, 张*明: the surname and, for longer names, the last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """138****1234."""
    if not phone or len(phone) < 7:
        return ""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
