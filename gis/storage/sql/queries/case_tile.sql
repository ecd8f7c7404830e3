-- Cases of the caller's region in one tile (layer "cases"). Below the clustering zoom cases are grouped
-- in cells of 64 tile units, each with its count, the worst warning level and the open count; from that
-- zoom on every case is a point with its id, number, status and warning level. {region} is the index hint
-- derived from the connection's scope (gis.storage.row_security.case_region); every value is a parameter.
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
picked AS (
    SELECT c.id, c.case_no, c.status, c.warning_level, c.severity, c.category_code,
           (c.status = ANY(%(open_states)s)) AS open,
           ST_AsMVTGeom(ST_Transform(c.geom, 3857), bounds.env, 4096, 0, true) AS geom
    FROM cases c, bounds
    -- Candidates by the spatial index through fq_case_ids_in_box (schema 110: under row-level security the
    -- planner may not use PostGIS operators as index conditions); the region applies to the rows read here.
    WHERE c.geom IS NOT NULL AND c.id IN (SELECT fq_case_ids_in_box(ST_Transform(bounds.env, 4326)))
      AND ({region}) {status_filter}
),
points AS (
    SELECT id, case_no, status, warning_level, severity, category_code, open, 1 AS n, geom
    FROM picked WHERE %(z)s >= %(cluster_below)s AND geom IS NOT NULL
),
cells AS (
    SELECT NULL::bigint AS id, NULL::text AS case_no, NULL::text AS status,
           (ARRAY['none', 'yellow', 'red'])[max(CASE warning_level WHEN 'red' THEN 3 WHEN 'yellow' THEN 2 ELSE 1 END)]
               AS warning_level,
           NULL::text AS severity, NULL::text AS category_code, bool_or(open) AS open, count(*)::int AS n,
           ST_Centroid(ST_Collect(geom)) AS geom
    FROM picked WHERE %(z)s < %(cluster_below)s AND geom IS NOT NULL
    GROUP BY ST_SnapToGrid(geom, 64, 64)
),
features AS (SELECT * FROM points UNION ALL SELECT * FROM cells)
SELECT ST_AsMVT(features, 'cases', 4096, 'geom') FROM features
