"""Registering a case: locate it, route it, store it with its parties, once per idempotency key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gis.cases.book import CaseRules
from gis.cases.models import SEVERITY_LABELS, NewCase, Party
from gis.cases.privacy import (
    id_number_hash,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    phone_hash,
    seal_party_value,
)
from gis.crypto import keys as crypto_keys
from gis.errors import Conflict, InvalidInput
from gis.locate import ChainLevel, LocateIndex
from gis.locate.service import locate_point
from gis.models import User
from gis.notify.triggers import on_case_registered
from gis.storage import access, areas, events
from gis.storage import cases as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class CaseInput:
    """A case as submitted: a point (with its CRS) or a grid code, category, channel, text, parties."""

    category_code: str
    source_channel: str
    description: str
    severity: str = "medium"
    title: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    grid_code: str | None = None
    parties: tuple[Party, ...] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        """Hash of the request, to tell an honest retry from a reused idempotency key."""
        return hashlib.sha256(json.dumps(self, default=lambda o: o.__dict__, sort_keys=True,
                                         ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Intake:
    """The outcome of a POST: the case id and whether this call created it."""

    case_id: int
    created: bool


def register_case(conn: Conn, *, rules: CaseRules, index: LocateIndex | None, user: User, data: CaseInput,
                  idempotency_key: str | None = None, now: datetime | None = None) -> Intake:
    """Validate, locate, route and store a case in one transaction.

    A retry with the same ``idempotency_key`` and the same body returns the first case; the same
    key with a different body is a Conflict.
    """
    _check(rules, data)
    category = rules.taxonomy.get(data.category_code)
    fingerprint = data.fingerprint()
    if idempotency_key:
        earlier = store.find_by_idempotency_key(conn, user_id=user.id, key=idempotency_key)
        if earlier:
            return _replay(earlier, fingerprint)
    chain, lon, lat, generation_id, evidence = _locate(conn, index, data)
    if user.town_code and chain[1].code != user.town_code:
        raise InvalidInput("the location is outside your town", reason="outside_scope")
    now = now or datetime.now(UTC)
    route = rules.routing.route(chain, category, data.severity, start=now)
    new = NewCase(
        status=rules.workflow.initial, lon=lon, lat=lat, grid_code=chain[3].code, village_code=chain[2].code,
        town_code=chain[1].code, county_code=chain[0].code, generation_id=generation_id,
        located_by="point" if lon is not None else "grid_code", locate_evidence=evidence,
        category_code=category.code, source_channel=data.source_channel, title=data.title,
        description=data.description, severity=data.severity, handling_tier=route.tier, handling_unit=route.unit,
        due_at=route.due_at, created_at=now, created_by=user.id, idempotency_key=idempotency_key,
        request_sha256=fingerprint,
    )
    with conn.transaction():
        case_id = store.insert_case(conn, case=new)
        if case_id is None:  # a concurrent retry with the same key committed first
            earlier = store.find_by_idempotency_key(conn, user_id=user.id, key=idempotency_key or "")
            assert earlier is not None
            return _replay(earlier, fingerprint)
        for party in data.parties:
            _store_party(conn, case_id, party)
        store.insert_transition(conn, case_id=case_id, action="register", from_state=None, to_state=new.status,
                                note="", detail={"source_channel": data.source_channel}, actor_id=user.id,
                                actor_name=user.username)
        access.audit(conn, user=user, action="case.create", object_type="case", object_id=str(case_id))
        on_case_registered(conn, case=store.get_case(conn, case_id=case_id), user=user,
                           source=rules.channels.get(data.source_channel).label, category=category.name)
        events.append_event(conn, kind="case.created", town_code=new.town_code, payload={
            "case_id": case_id, "grid_code": new.grid_code, "category_code": new.category_code,
            "severity": new.severity, "lon": lon, "lat": lat, "status": new.status})
    return Intake(case_id, True)


def _store_party(conn: Conn, case_id: int, party: Party) -> None:
    """ID numbers and phones are kept encrypted, with a keyed hash (exact search) and masks (display)."""
    keys = crypto_keys()
    number = normalise_id_number(party.id_number) if party.id_number else None
    phone = party.phone.strip() if party.phone else None
    store.insert_party(
        conn, case_id=case_id, role=party.role, name=party.name,
        id_hash=id_number_hash(number, key=keys.party) if number else None,
        id_masked=mask_id_number(number) if number else None,
        id_number_enc=seal_party_value(number, keys=keys, field="id_number") if number else None,
        phone_enc=seal_party_value(phone, keys=keys, field="phone") if phone else None,
        phone_masked=mask_phone(phone) if phone else None, village_code=party.village_code,
        phone_hash=phone_hash(phone, key=keys.party) if phone else None)


def _replay(earlier: tuple[int, str | None], fingerprint: str) -> Intake:
    if earlier[1] != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request",
                       reason="idempotency_key_reused", case_id=earlier[0])
    return Intake(earlier[0], False)


def _check(rules: CaseRules, data: CaseInput) -> None:
    if data.source_channel not in rules.channels.channels:
        raise InvalidInput(f"unknown source channel {data.source_channel!r}; one of {sorted(rules.channels.channels)}",
                           reason="unknown_source_channel")
    if data.severity not in SEVERITY_LABELS:
        raise InvalidInput(f"unknown severity {data.severity!r}; one of {list(SEVERITY_LABELS)}",
                           reason="unknown_severity")
    if not data.description.strip():
        raise InvalidInput("a description is required", reason="missing_field", missing=["description"])
    if len(data.description) > rules.settings.max_description_chars:
        raise InvalidInput(f"the description is over {rules.settings.max_description_chars} characters",
                           reason="description_too_long")
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("give both lon and lat, or neither", reason="missing_field")
    if data.lon is None and not data.grid_code:
        raise InvalidInput("a case needs a location: lon/lat or a grid code", reason="missing_location")


def _locate(conn: Conn, index: LocateIndex | None, data: CaseInput
            ) -> tuple[tuple[ChainLevel, ...], float | None, float | None, int, dict[str, Any]]:
    if data.lon is not None and data.lat is not None:
        if index is None:
            raise InvalidInput("the locate index is not loaded", reason="index_not_ready")
        where = locate_point(index, lon=data.lon, lat=data.lat, crs=data.crs)
        if not where.inside:
            raise InvalidInput("the point is outside the county's grids", reason="outside_coverage",
                               nearest_grid=where.nearest_grid.code if where.nearest_grid else None,
                               distance_m=round(where.distance_to_boundary_m, 1))
        evidence = {"method": where.method, "crs_in": data.crs, "input": [data.lon, data.lat],
                    "distance_to_boundary_m": round(where.distance_to_boundary_m, 2),
                    "border_candidates": [n.code for n in where.neighbours],
                    "given_grid_code": data.grid_code}
        return where.chain, where.lon, where.lat, where.generation_id, evidence
    generation = areas.get_generation(conn)
    rows = areas.chain_for_code(conn, generation_id=generation.id, code=data.grid_code or "")
    if len(rows) != 4:
        raise InvalidInput(f"{data.grid_code!r} is not a fourth-tier grid code", reason="not_a_grid")
    chain = tuple(ChainLevel(c, n, t) for c, n, t in rows)
    return chain, None, None, generation.id, {"method": "grid_code", "given_grid_code": data.grid_code}
