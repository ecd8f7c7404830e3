"""Filling the phone hash of parties stored before it existed.

Decrypt each phone (the data key), hash it (the party key). Not a plain migration because the keys live with the
application, not the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.cases.privacy import open_party_value, phone_hash
from gis.crypto import Keys
from gis.storage import cases as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class Backfill:
    """Parties given a hash, and parties whose stored phone could not be decrypted (wrong key, damaged)."""

    hashed: int
    unreadable: int


def backfill_phone_hashes(conn: Conn, *, keys: Keys, batch: int = 500) -> Backfill:
    """Hash every party phone that has none yet, in batches, committing each (safe to re-run)."""
    hashed = unreadable = 0
    after = 0
    while rows := store.parties_without_phone_hash(conn, after_id=after, limit=batch):
        for row in rows:
            after = int(row["id"])
            try:
                phone = open_party_value(bytes(row["phone_enc"]), keys=keys, field="phone") if row["phone_enc"] \
                    else str(row["legacy_phone"])
            except Exception:  # cryptography's InvalidTag, or an unknown version byte: another key, a damaged value
                unreadable += 1
                continue
            store.set_phone_hash(conn, party_id=after, phone_hash=phone_hash(phone, key=keys.party))
            hashed += 1
        conn.commit()
    return Backfill(hashed, unreadable)
