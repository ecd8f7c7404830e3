"""Connection strings are printed without their password, in either form psycopg accepts."""

from __future__ import annotations

from gis.storage.pool import redact


def test_redact_hides_passwords_in_urls_and_key_value_strings() -> None:
    assert redact("postgresql://app:s3cret@db.example:5433/fengqiao") == (
        "user=app dbname=fengqiao host=db.example port=5433")
    assert redact("host=db password='s3 cret' dbname=fq user=app") == "user=app dbname=fq host=db"
    assert "s3cret" not in redact("postgresql://app:s3cret@db/fq?sslmode=require")
    assert redact("not a = valid = string '") == "<unparseable connection string>"
