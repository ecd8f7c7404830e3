"""A case's record agrees with the schema: the columns, their nullability, and the API's summary of it."""

from __future__ import annotations

import typing
from dataclasses import fields

import psycopg

from api.schemas import CaseSummary
from gis.cases.models import CASE_COLUMNS, Case, NewCase

# Filled in by the database (identity, generated, defaults) or kept for storage only.
NOT_WRITTEN = {"id", "case_no", "geom", "warning_level", "satisfaction", "duplicate_of", "updated_at", "closed_at"}
NOT_READ = {"geom", "idempotency_key", "request_sha256", "id_number_enc"}
DERIVED = {"status_label", "category_name", "overdue"}  # the summary's labels beside the codes, and overdue


def columns(conn: psycopg.Connection) -> dict[str, bool]:
    """The cases table's columns and whether each may be NULL (a generated column never is here)."""
    rows = conn.execute("SELECT column_name, is_nullable = 'YES' AND is_generated = 'NEVER'"
                        " FROM information_schema.columns WHERE table_name = 'cases'"
                        " AND table_schema = current_schema()").fetchall()
    return {str(name): bool(nullable) for name, nullable in rows}


def optional(annotation: object) -> bool:
    return type(None) in typing.get_args(annotation)


def test_case_records_name_the_schema_columns_with_their_nullability(conn: psycopg.Connection) -> None:
    schema = columns(conn)
    read = {f.name: f for f in fields(Case) if f.name != "extra"}
    written = {f.name: f for f in fields(NewCase)}
    assert CASE_COLUMNS.split(", ") == list(read)
    assert set(read) == set(schema) - NOT_READ
    assert set(written) == set(schema) - NOT_WRITTEN
    hints = typing.get_type_hints(Case) | typing.get_type_hints(NewCase)
    assert {name: optional(hints[name]) for name in read | written} == {name: schema[name] for name in read | written}


def test_the_api_summary_is_the_record_with_labels() -> None:
    record = typing.get_type_hints(Case)
    summary = typing.get_type_hints(CaseSummary)
    assert set(summary) - set(record) == DERIVED
    assert {n: summary[n] for n in summary if n not in DERIVED} == {n: record[n] for n in summary if n not in DERIVED}
    assert set(record) - set(summary) == {"locate_evidence", "extra"}
