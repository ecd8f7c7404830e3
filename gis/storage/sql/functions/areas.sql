-- Insert one tier of staged rows into areas, resolving parents by code within the generation.
CREATE OR REPLACE FUNCTION fq_insert_staged_tier(gen integer, t smallint)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH ins AS (
        INSERT INTO areas (generation_id, code, name, tier, parent_id, geom, geom_3857, area_m2,
                           population, attrs)
        SELECT gen, s.code, s.name, s.tier, p.id,
               ST_Multi(s.geom), ST_Multi(ST_Transform(s.geom, 3857)),
               ST_Area(s.geom::geography), s.population, s.attrs
        FROM fq_staged_areas s
        LEFT JOIN areas p ON p.generation_id = gen AND p.code = s.parent_code AND p.tier = t - 1
        WHERE s.tier = t
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins;
$$;
COMMENT ON FUNCTION fq_insert_staged_tier(integer, smallint) IS
    'Moves staged rows of one tier into areas; an unknown parent code leaves parent_id NULL and fails the tier check.';

-- Subdivided pieces for SQL point lookups (mapit-style), per generation.
CREATE OR REPLACE FUNCTION fq_subdivide_generation(gen integer, max_vertices integer DEFAULT 256)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH ins AS (
        INSERT INTO area_pieces (area_id, generation_id, tier, geom)
        SELECT a.id, a.generation_id, a.tier, ST_Subdivide(a.geom, max_vertices)
        FROM areas a WHERE a.generation_id = gen
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins;
$$;
COMMENT ON FUNCTION fq_subdivide_generation(integer, integer) IS
    'Fills area_pieces for a generation with ST_Subdivide pieces of every area.';
