DROP FUNCTION IF EXISTS fq_area_tile(integer, smallint, integer, integer, integer);

-- Vector tile of one tier of a generation, from the stored EPSG:3857 column, with a "labels" point layer
-- (names at their point on surface) from zoom `label_z` on. Low zooms read the simplified copies (schema 091).
CREATE OR REPLACE FUNCTION fq_area_tile(gen integer, t smallint, z integer, x integer, y integer,
                                        label_z integer DEFAULT 99)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH bounds AS (SELECT ST_TileEnvelope(z, x, y) AS env),
    shapes AS (
        SELECT a.code, a.name, a.tier, a.population,
               ST_AsMVTGeom(CASE WHEN z <= 10 THEN coalesce(a.geom_3857_s4, a.geom_3857)
                                 WHEN z <= 12 THEN coalesce(a.geom_3857_s1, a.geom_3857)
                                 ELSE a.geom_3857 END, bounds.env, 4096, 64, true) AS geom
        FROM areas a, bounds
        WHERE a.generation_id = gen AND a.tier = t AND a.geom_3857 && bounds.env
    ),
    labels AS (
        -- Points within the tile's buffer (64 of 4096, as the areas layer): a renderer places a name once, from
        -- the tile its point is in; points further out are no part of this tile.
        SELECT a.code, a.name, a.tier, ST_AsMVTGeom(a.label_3857, bounds.env, 4096, 64, true) AS geom
        FROM areas a, bounds
        WHERE z >= label_z AND a.generation_id = gen AND a.tier = t
          AND a.label_3857 && ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)
    )
    SELECT coalesce((SELECT ST_AsMVT(shapes, 'areas', 4096, 'geom') FROM shapes WHERE geom IS NOT NULL), '')
        || coalesce((SELECT ST_AsMVT(labels, 'labels', 4096, 'geom') FROM labels WHERE geom IS NOT NULL), '');
$$;
COMMENT ON FUNCTION fq_area_tile(integer, smallint, integer, integer, integer, integer) IS
    'MVT tile of one tier of a generation: layer "areas" (code, name, tier, population) and, from zoom label_z, '
    'layer "labels" (points with code, name, tier).';
