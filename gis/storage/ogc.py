"""Features for OGC API - Features: boundary areas and (region-scoped) cases as GeoJSON built in PostGIS."""

from __future__ import annotations

from typing import Any

from gis.storage.pool import Conn, translate_pg_errors
from gis.storage.row_security import case_region

Box = tuple[float, float, float, float]
AREA_FEATURE = (
    "json_build_object('type', 'Feature', 'id', a.code, 'geometry', ST_AsGeoJSON(a.geom, 7)::json,"
    " 'properties', json_build_object('code', a.code, 'name', a.name, 'tier', a.tier, 'parent_code', p.code,"
    " 'population', a.population, 'area_m2', round(a.area_m2::numeric, 1)))"
)
CASE_FEATURE = (
    "json_build_object('type', 'Feature', 'id', c.id, 'geometry', ST_AsGeoJSON(c.geom, 7)::json,"
    " 'properties', json_build_object('case_no', c.case_no, 'status', c.status, 'category_code', c.category_code,"
    " 'severity', c.severity, 'warning_level', c.warning_level, 'grid_code', c.grid_code,"
    " 'village_code', c.village_code, 'town_code', c.town_code, 'source_channel', c.source_channel,"
    " 'handling_unit', c.handling_unit, 'due_at', c.due_at, 'created_at', c.created_at,"
    " 'closed_at', c.closed_at))"
)


def _page(conn: Conn, feature: str, source: str, where: str, params: list[Any], key: str, *, descending: bool,
          limit: int, after: Any | None, count: bool) -> tuple[list[dict[str, Any]], Any | None, int | None]:
    """One page by keyset (the rows after ``after`` in ``key`` order: as fast on page 500 as on page 1).

    Returns the features, the key to continue after (None on the last page) and, when ``count``, how many match.
    """
    total = None
    with translate_pg_errors():
        if count:
            row = conn.execute(f"SELECT count(*) {source} WHERE {where}", params).fetchone()
            total = int(row[0]) if row else 0
        page_where, page_params = where, list(params)
        if after is not None:
            page_where += f" AND {key} {'<' if descending else '>'} %s"
            page_params.append(after)
        rows = conn.execute(f"SELECT {feature}, {key} {source} WHERE {page_where}"
                            f" ORDER BY {key}{' DESC' if descending else ''} LIMIT %s",
                            (*page_params, limit + 1)).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return [r[0] for r in rows], (rows[-1][1] if more and rows else None), total


def area_features(conn: Conn, *, generation_id: int, tier: int, bbox: Box | None, limit: int,
                  after: str | None = None, code: str | None = None, count: bool = True
                  ) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """One page of a tier's areas as GeoJSON features (id = code) in code order, the next key, the count."""
    where = "a.generation_id = %s AND a.tier = %s"
    params: list[Any] = [generation_id, tier]
    if bbox is not None:
        where += " AND a.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
        params.extend(bbox)
    if code is not None:
        where += " AND a.code = %s"
        params.append(code)
    return _page(conn, AREA_FEATURE, "FROM areas a LEFT JOIN areas p ON p.id = a.parent_id", where, params,
                 "a.code", descending=False, limit=limit, after=after, count=count)


def case_features(conn: Conn, *, bbox: Box | None, limit: int, after: int | None = None,
                  case_id: int | None = None, count: bool = True
                  ) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """One page of the cases in the connection's scope that have a point, newest first; next key; count.

    No personal data leaves: numbers, codes, states and times.
    """
    region, region_params = case_region(conn)
    where = f"c.geom IS NOT NULL AND {region}"
    params: list[Any] = list(region_params)
    if bbox is not None:
        # Candidates by the spatial index (see fq_case_ids_in_box, schema 110), rows under the policy.
        where += " AND c.id IN (SELECT fq_case_ids_in_box(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))"
        params.extend(bbox)
    if case_id is not None:
        where += " AND c.id = %s"
        params.append(case_id)
    return _page(conn, CASE_FEATURE, "FROM cases c", where, params, "c.id", descending=True, limit=limit,
                 after=after, count=count)


def tier_extent(conn: Conn, *, generation_id: int, tier: int) -> Box | None:
    """The bounding box of one tier of a generation."""
    with translate_pg_errors():
        row = conn.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e"
                           " FROM areas WHERE generation_id = %s AND tier = %s) s", (generation_id, tier)).fetchone()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])
