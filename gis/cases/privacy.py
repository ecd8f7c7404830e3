"""Personal data of parties: keyed hashes for matching, encryption for keeping, masks for display.

Masks show at most a third of a value: an 18-digit resident ID keeps its region (4) and last four, a
mobile number (11 digits) its prefix and last four (the convention on Chinese receipts); anything
shorter (a passport number, a 7-digit landline) shows only its last two characters.
"""

from __future__ import annotations

from gis.crypto import Keys, decrypt, encrypt, keyed_hash


def normalise_id_number(id_number: str) -> str:
    """Upper case without spaces, as hashed and kept."""
    return id_number.strip().upper().replace(" ", "")


def id_number_hash(id_number: str, *, key: bytes) -> bytes:
    """HMAC-SHA256 of a normalised ID number: matches repeats without reading the number."""
    return keyed_hash(normalise_id_number(id_number), key=key)


def normalise_phone(phone: str) -> str:
    """Digits only, without the country code: ``+86 138-1234-5678``, ``008613812345678`` -> ``13812345678``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            return digits[len(prefix):]
    return digits


def phone_hash(phone: str, *, key: bytes) -> bytes | None:
    """HMAC-SHA256 of a normalised phone (None when it holds no digits): search and duplicate checks."""
    digits = normalise_phone(phone)
    return keyed_hash("phone:" + digits, key=key) if digits else None


def _tail(value: str, keep: int) -> str:
    return "*" * max(len(value) - keep, 0) + value[-keep:] if len(value) > keep else "*" * len(value)


def mask_id_number(id_number: str) -> str:
    """4416**********1234 for resident IDs; ``*******78`` for shorter numbers (passports)."""
    s = normalise_id_number(id_number)
    if len(s) >= 15:
        return s[:4] + "*" * (len(s) - 8) + s[-4:]
    return _tail(s, 2)


def mask_name(name: str) -> str:
    """张*, 张*明: the surname and, for longer names, the last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """138****1234 for mobile numbers; ``*****67`` for anything shorter."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return _tail(digits, 2)


def seal_party_value(value: str, *, keys: Keys, field: str) -> bytes:
    """A party's ID number or phone encrypted for keeping (AES-GCM, bound to the field name)."""
    return encrypt(value, key=keys.data, context=f"party.{field}")


def open_party_value(blob: bytes, *, keys: Keys, field: str) -> str:
    """The plain value of :func:`seal_party_value`."""
    return decrypt(blob, key=keys.data, context=f"party.{field}")
