"""Storage of cases, their parties, transitions and supervision records."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.rows import class_row, dict_row

from gis.cases.models import CASE_COLUMNS, Case, NewCase
from gis.cases.query import CaseQuery
from gis.errors import NotFound
from gis.storage.pool import Conn, translate_pg_errors
from gis.storage.row_security import case_region

INSERT_COLUMNS = tuple(NewCase.__dataclass_fields__)


def insert_case(conn: Conn, *, case: NewCase) -> int | None:
    """Insert a case; None when the same user already used this idempotency key (nothing inserted).

    ON CONFLICT waits for a concurrent insert of the same key to commit, so two retries racing
    each other still create one case.
    """
    values = asdict(case)
    values["locate_evidence"] = json.dumps(values["locate_evidence"], ensure_ascii=False, default=str)
    columns = sql.SQL(", ").join(map(sql.Identifier, INSERT_COLUMNS))
    params = sql.SQL(", ").join(sql.Placeholder(c) for c in INSERT_COLUMNS)
    query = sql.SQL(
        "INSERT INTO cases ({}, geom) VALUES ({}, CASE WHEN %(lon)s::float8 IS NULL THEN NULL"
        " ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END)"
        " ON CONFLICT (created_by, idempotency_key) DO NOTHING RETURNING id"
    ).format(columns, params)
    with translate_pg_errors():
        row = conn.execute(query, values).fetchone()
    return int(row[0]) if row else None


def find_by_idempotency_key(conn: Conn, *, user_id: int, key: str) -> tuple[int, str | None] | None:
    """(case id, request hash) of an earlier POST with this key by this user."""
    with translate_pg_errors():
        row = conn.execute("SELECT id, request_sha256 FROM cases WHERE created_by = %s AND idempotency_key = %s",
                           (user_id, key)).fetchone()
    return (int(row[0]), row[1]) if row else None


def insert_party(conn: Conn, *, case_id: int, role: str, name: str, id_hash: bytes | None, id_masked: str | None,
                 id_number_enc: bytes | None, phone_enc: bytes | None, phone_masked: str | None,
                 village_code: str | None, phone_hash: bytes | None = None) -> None:
    """Store one party: ID number and phone only encrypted (plus the keyed hashes and masks)."""
    with translate_pg_errors():
        conn.execute(
            "INSERT INTO case_parties (case_id, role, name, id_hash, id_masked, id_number_enc, phone_enc, phone_masked,"
            " village_code, phone_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (case_id, role, name, id_hash, id_masked, id_number_enc, phone_enc, phone_masked, village_code,
             phone_hash))


def parties_without_phone_hash(conn: Conn, *, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Parties with a phone (encrypted, or clear from earlier versions) but no phone hash yet, by id."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT id, phone_enc, phone AS legacy_phone FROM case_parties WHERE id > %s AND phone_hash IS NULL"
            " AND (phone_enc IS NOT NULL OR coalesce(phone, '') <> '') ORDER BY id LIMIT %s",
            (after_id, limit)).fetchall()


def set_phone_hash(conn: Conn, *, party_id: int, phone_hash: bytes | None) -> None:
    """Store a party's phone hash."""
    with translate_pg_errors():
        conn.execute("UPDATE case_parties SET phone_hash = %s WHERE id = %s", (phone_hash, party_id))


def sealed_party(conn: Conn, *, case_id: int, party_id: int) -> dict[str, Any]:
    """One party's encrypted values (and a clear phone left by earlier versions); NotFound outside the case."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT id, name, id_number_enc, phone_enc, phone AS legacy_phone FROM case_parties"
                          " WHERE case_id = %s AND id = %s", (case_id, party_id)).fetchone()
    if row is None:
        raise NotFound(f"party {party_id} not found", reason="party_not_found")
    return row


def get_case(conn: Conn, *, case_id: int, for_update: bool = False) -> Case:
    """One case (row-locked with ``for_update``, so concurrent transitions serialise).

    A case outside the connection's scope is NotFound, exactly like one that does not exist (schema 110).
    """
    query = f"SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = %s" + (" FOR UPDATE OF c" if for_update else "")
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Case)) as cur:
        row = cur.execute(query, (case_id,)).fetchone()
    if row is None:
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    return row


def update_case(conn: Conn, *, case_id: int, **fields: Any) -> None:
    """Set columns of a case (names come from code, values are parameters)."""
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in fields)
    with translate_pg_errors():
        conn.execute(sql.SQL("UPDATE cases SET {}, updated_at = now() WHERE id = %(case_id)s").format(assignments),
                     {**fields, "case_id": case_id})


def insert_transition(conn: Conn, *, case_id: int, action: str, from_state: str | None, to_state: str, note: str,
                      detail: dict[str, Any], actor_id: int | None, actor_name: str, at: datetime | None = None
                      ) -> None:
    """Record who moved a case and when."""
    with translate_pg_errors():
        conn.execute(
            "INSERT INTO case_transitions (case_id, action, from_state, to_state, note, detail, actor_id,"
            " actor_name, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()))",
            (case_id, action, from_state, to_state, note, json.dumps(detail, ensure_ascii=False, default=str),
             actor_id, actor_name, at))


def timeline(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Transitions and supervision records of a case, oldest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT 'transition' AS kind, action, from_state, to_state, note, detail, actor_name, at"
            " FROM case_transitions WHERE case_id = %s"
            " UNION ALL SELECT 'supervision', level, NULL, NULL, reason, jsonb_build_object('handling_tier',"
            " handling_tier), 'system', at FROM case_supervisions WHERE case_id = %s ORDER BY at, kind",
            (case_id, case_id)).fetchall()


def parties(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Parties of a case (personal data: callers decide what to show)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT id, role, name, id_masked, coalesce(phone_masked, phone) AS phone, village_code"
                           " FROM case_parties WHERE case_id = %s ORDER BY id", (case_id,)).fetchall()


def _search_conditions(conn: Conn, query: CaseQuery, pending_states: list[str]) -> tuple[str, list[Any]]:
    """The query's fields as conditions on ``cases c``: the region hint first (the policy decides the rows)."""
    region, region_params = case_region(conn)
    where: list[tuple[str, tuple[Any, ...]]] = [(region, region_params)]
    simple = {"c.town_code = %s": query.town, "c.village_code = %s": query.village, "c.grid_code = %s": query.grid,
              "c.source_channel = %s": query.channel, "c.created_at >= %s": query.since,
              "c.created_at < %s": query.until}
    where += [(clause, (value,)) for clause, value in simple.items() if value is not None]
    if query.category:
        where.append(("left(c.category_code, length(%s)) = %s", (query.category, query.category)))
    if query.status:
        where.append(("c.status = ANY(%s)", (list(query.status),)))
    if query.warning:
        where.append(("c.warning_level = ANY(%s)", (list(query.warning),)))
    if query.overdue is not None:
        clause = "fq_is_overdue(c.status, c.due_at, now(), %s)"
        where.append((clause if query.overdue else f"NOT {clause}", (pending_states,)))
    if query.bbox:
        # Candidates by the spatial index (fq_case_ids_in_box, schema 110), the rows under the region's policy.
        where.append(("c.id IN (SELECT fq_case_ids_in_box(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))", query.bbox))
    if query.text:
        where.append(_text_condition(query))
    return " AND ".join(w for w, _ in where), [p for _, values in where for p in values]


CASE_NO = re.compile(r"^[A-Za-z]{1,4}[0-9]{1,12}$")
AREA_NAME = ("c.{col} IN (SELECT a.code FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
             " WHERE a.tier = {tier} AND a.name LIKE %s ESCAPE '\\')")
PARTY = "EXISTS (SELECT 1 FROM case_parties p WHERE p.case_id = c.id AND {})"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_condition(query: CaseQuery) -> tuple[str, tuple[Any, ...]]:
    """The one search box: a case number (or its digits), a village or grid name.

    For callers who see personal data also a party's name (part of it), phone or ID number (exact, by the keyed
    hashes the query carries).
    """
    text = query.text or ""
    clauses = ["c.case_no = upper(%s)", AREA_NAME.format(col="village_code", tier=3),
               AREA_NAME.format(col="grid_code", tier=4)]
    params: list[Any] = [text, _like(text), _like(text)]
    if CASE_NO.match(text) is None and text.isdigit() and len(text) <= 12:  # the number without its letters
        clauses.append("c.case_no LIKE %s")
        params.append("%" + text)
    if query.personal:
        clauses.append(PARTY.format("p.name LIKE %s ESCAPE '\\'"))
        params.append(_like(text))
        if query.id_hash is not None:
            clauses.append(PARTY.format("p.id_hash = %s"))
            params.append(query.id_hash)
        if query.phone_hash is not None:
            clauses.append(PARTY.format("p.phone_hash = %s"))
            params.append(query.phone_hash)
    return "(" + " OR ".join(clauses) + ")", tuple(params)


def search_cases(conn: Conn, *, query: CaseQuery, pending_states: list[str], limit: int, offset: int
                 ) -> tuple[list[Case], int]:
    """Cases matching ``query`` in the connection's scope, newest first, and how many match in all."""
    clauses, params = _search_conditions(conn, query, pending_states)
    base = sql.SQL("FROM cases c WHERE {}").format(sql.SQL(clauses))
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Case)) as cur:
        rows = cur.execute(sql.SQL("SELECT " + CASE_COLUMNS + " {} ORDER BY created_at DESC, id DESC"
                                   " LIMIT %s OFFSET %s").format(base), [*params, limit, offset]).fetchall()
        total = conn.execute(sql.SQL("SELECT count(*) {}").format(base), params).fetchone()
    return rows, int(total[0]) if total else 0


def overdue_among(conn: Conn, *, ids: list[int], pending_states: list[str]) -> set[int]:
    """Which of these cases are overdue now (``fq_is_overdue``, schema 126: the one definition)."""
    if not ids:
        return set()
    with translate_pg_errors():
        rows = conn.execute("SELECT id FROM cases WHERE id = ANY(%s) AND fq_is_overdue(status, due_at, now(), %s)",
                            (ids, pending_states)).fetchall()
    return {int(r[0]) for r in rows}


def nearby_open(conn: Conn, *, case: Case, open_states: list[str], radius_m: float, window_days: float,
                class_code: str) -> list[dict[str, Any]]:
    """Open cases of the same category class within a radius (metres, geography), time window and scope."""
    if case.lon is None or case.lat is None:
        return []
    region, region_params = case_region(conn)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT c.id, c.case_no, c.status, c.category_code, c.created_at,"
            " round(ST_Distance(c.geom::geography, o.geom::geography)::numeric, 1)::float8 AS distance_m"
            " FROM cases c, (SELECT geom, created_at FROM cases WHERE id = %s) o"
            " WHERE c.id <> %s AND c.status = ANY(%s) AND left(c.category_code, length(%s)) = %s"
            " AND c.created_at >= o.created_at - make_interval(secs => %s)"
            " AND ST_DWithin(c.geom::geography, o.geom::geography, %s) AND " + region +
            " ORDER BY distance_m, c.id LIMIT 50",
            (case.id, case.id, open_states, class_code, class_code, window_days * 86400, radius_m,
             *region_params)).fetchall()


def repeat_party_cases(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Other cases in the connection's scope with a party whose ID number hash matches one of this case's parties.

    Only the caller's region is searched (the policies on cases and parties): a match elsewhere is not even
    hinted at.
    """
    region, region_params = case_region(conn)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT DISTINCT c.id, c.case_no, c.status, c.category_code, c.created_at"
            " FROM case_parties mine JOIN case_parties other ON other.id_hash = mine.id_hash"
            " AND other.case_id <> mine.case_id JOIN cases c ON c.id = other.case_id"
            " WHERE mine.case_id = %s AND mine.id_hash IS NOT NULL AND " + region +
            " ORDER BY c.created_at DESC LIMIT 50",
            (case_id, *region_params)).fetchall()


def open_cases_due(conn: Conn, *, open_states: list[str]) -> list[Case]:
    """Open cases with their deadlines, for the warning sweep (locked, skipping rows others hold)."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Case)) as cur:
        return cur.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE status = ANY(%s) FOR UPDATE SKIP LOCKED",
                           (open_states,)).fetchall()


def insert_supervision(conn: Conn, *, case_id: int, level: str, reason: str, handling_tier: int, at: datetime
                       ) -> bool:
    """Record a supervision (督办) once per case, level and tier; True when new."""
    with translate_pg_errors():
        row = conn.execute(
            "INSERT INTO case_supervisions (case_id, level, reason, handling_tier, at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING id", (case_id, level, reason, handling_tier, at)).fetchone()
    return row is not None


def case_id_by_no(conn: Conn, *, case_no: str) -> int | None:
    """The id of the case with this number that the caller may see (row-level security), or None."""
    with translate_pg_errors():
        row = conn.execute("SELECT id FROM cases WHERE case_no = upper(%s)", (case_no.strip(),)).fetchone()
    return int(row[0]) if row else None


def duplicate_candidates(conn: Conn, *, open_states: list[str], phone_hashes: list[bytes], id_hashes: list[bytes],
                         names: list[str], lon: float | None, lat: float | None, class_code: str, radius_m: float,
                         window_days: float, limit: int = 20) -> list[dict[str, Any]]:
    """Open cases the caller may see (row-level security) that a draft may repeat.

    Those sharing a party's phone or ID number (by keyed hash), or with a party of the same name nearby, in the same
    category class and time window; nearest first.
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "WITH here AS (SELECT CASE WHEN %(lon)s::float8 IS NULL THEN NULL"
            "   ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography END AS g),"
            " hits AS ("
            "  SELECT p.case_id, 'phone' AS why FROM case_parties p WHERE p.phone_hash = ANY(%(phones)s)"
            "  UNION ALL SELECT p.case_id, 'id_number' FROM case_parties p WHERE p.id_hash = ANY(%(ids)s)"
            "  UNION ALL SELECT p.case_id, 'name_nearby' FROM case_parties p JOIN cases c ON c.id = p.case_id, here"
            "   WHERE p.name = ANY(%(names)s) AND here.g IS NOT NULL AND c.geom IS NOT NULL"
            "   AND left(c.category_code, length(%(class)s)) = %(class)s"
            "   AND c.created_at >= now() - make_interval(secs => %(window)s)"
            "   AND ST_DWithin(c.geom::geography, here.g, %(radius)s))"
            " SELECT c.id, c.case_no, c.status, c.category_code, c.created_at, c.lon, c.lat,"
            "  array_agg(DISTINCT hits.why ORDER BY hits.why) AS reasons,"
            "  (SELECT round(ST_Distance(c.geom::geography, h.g)::numeric, 1)::float8 FROM here h) AS distance_m"
            " FROM hits JOIN cases c ON c.id = hits.case_id WHERE c.status = ANY(%(open)s)"
            " GROUP BY c.id ORDER BY distance_m NULLS LAST, c.id DESC LIMIT %(limit)s",
            {"lon": lon, "lat": lat, "phones": phone_hashes, "ids": id_hashes, "names": names, "class": class_code,
             "window": window_days * 86400, "radius": radius_m, "open": open_states, "limit": limit}).fetchall()
