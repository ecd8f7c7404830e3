-- Vector tile of one tier of a generation, from the stored EPSG:3857 column.
CREATE OR REPLACE FUNCTION fq_area_tile(gen integer, t smallint, z integer, x integer, y integer)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH bounds AS (SELECT ST_TileEnvelope(z, x, y) AS env),
    rows AS (
        SELECT a.code, a.name, a.tier, a.population,
               ST_AsMVTGeom(a.geom_3857, bounds.env, 4096, 64, true) AS geom
        FROM areas a, bounds
        WHERE a.generation_id = gen AND a.tier = t AND a.geom_3857 && bounds.env
    )
    SELECT ST_AsMVT(rows, 'areas', 4096, 'geom') FROM rows WHERE geom IS NOT NULL;
$$;
COMMENT ON FUNCTION fq_area_tile(integer, smallint, integer, integer, integer) IS
    'MVT tile (layer "areas") of one tier of a generation; properties code, name, tier, population.';
