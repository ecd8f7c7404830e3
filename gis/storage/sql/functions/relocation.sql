-- Where open cases land in another generation: by their point, by their grid code when the code is kept,
-- else in the new grid that covers most of their old grid (a removed or re-coded grid). NULL: nowhere.
-- The overlap is computed once per old grid, however many cases it holds.
CREATE OR REPLACE FUNCTION fq_case_relocations(to_gen integer, ids bigint[])
RETURNS TABLE (id bigint, status text, old_generation integer, located_by text, old_grid text,
               old_village text, old_town text, new_grid text, new_village text, new_town text,
               how text, overlap_share double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH listed AS (
        SELECT * FROM cases WHERE cases.id = ANY(ids)
    ), gone AS (
        SELECT DISTINCT l.generation_id AS gen, l.grid_code AS code
        FROM listed l
        WHERE l.geom IS NULL
          AND NOT EXISTS (SELECT 1 FROM areas k WHERE k.generation_id = to_gen AND k.tier = 4 AND k.code = l.grid_code)
    ), same AS (  -- a re-coded grid: the same shape under a new code, found by index without any overlay
        SELECT DISTINCT ON (gone.gen, gone.code) gone.gen, gone.code, a.id AS grid_id, 1.0::float8 AS share
        FROM gone
        JOIN areas o ON o.generation_id = gone.gen AND o.tier = 4 AND o.code = gone.code
        JOIN areas a ON a.generation_id = to_gen AND a.tier = 4 AND a.geom ~= o.geom AND ST_OrderingEquals(a.geom, o.geom)
        ORDER BY gone.gen, gone.code, a.code
    ), best AS (
        SELECT * FROM same
        UNION ALL
        (SELECT DISTINCT ON (gone.gen, gone.code) gone.gen, gone.code, a.id,
               ST_Area(ST_Intersection(a.geom, o.geom)) / NULLIF(ST_Area(o.geom), 0) AS share
        FROM gone
        JOIN areas o ON o.generation_id = gone.gen AND o.tier = 4 AND o.code = gone.code
        JOIN areas a ON a.generation_id = to_gen AND a.tier = 4 AND ST_Intersects(a.geom, o.geom)
        WHERE NOT EXISTS (SELECT 1 FROM same s WHERE s.gen = gone.gen AND s.code = gone.code)
        ORDER BY gone.gen, gone.code, share DESC NULLS LAST, a.code)
    )
    SELECT c.id, c.status, c.generation_id, c.located_by, c.grid_code, c.village_code, c.town_code,
           g.code, v.code, t.code, m.how, round(m.share::numeric, 4)::float8
    FROM listed c
    LEFT JOIN LATERAL (
        SELECT x.grid_id, x.how, x.share
        FROM (
            SELECT p.area_id AS grid_id, 'point'::text AS how, NULL::float8 AS share, 0 AS rank
            FROM area_pieces p
            WHERE c.geom IS NOT NULL AND p.generation_id = to_gen AND p.tier = 4 AND ST_Covers(p.geom, c.geom)
            UNION ALL
            SELECT a.id, 'grid_code', NULL, 1
            FROM areas a
            WHERE c.geom IS NULL AND a.generation_id = to_gen AND a.tier = 4 AND a.code = c.grid_code
            UNION ALL
            SELECT b.grid_id, 'grid_overlap', b.share, 2
            FROM best b
            WHERE c.geom IS NULL AND b.gen = c.generation_id AND b.code = c.grid_code AND b.share > 1e-9
        ) x
        JOIN areas ga ON ga.id = x.grid_id
        ORDER BY x.rank, ga.code
        LIMIT 1
    ) m ON true
    LEFT JOIN areas g ON g.id = m.grid_id
    LEFT JOIN areas v ON v.id = g.parent_id
    LEFT JOIN areas t ON t.id = v.parent_id
    ORDER BY c.id;
$$;
COMMENT ON FUNCTION fq_case_relocations(integer, bigint[]) IS
    'Grid chain each listed case would get in generation to_gen and how (point, grid_code, grid_overlap with the '
    'share of the old grid covered); new_grid NULL when the case cannot be placed.';
