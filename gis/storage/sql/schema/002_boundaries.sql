-- Boundary generations (mapit-style versions) and the four-tier grid hierarchy.

CREATE TABLE IF NOT EXISTS generations (
    id            serial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    description   text NOT NULL DEFAULT '',
    source        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    is_active     boolean NOT NULL DEFAULT false,
    report        jsonb
);
-- At most one active generation: activation flips it inside one transaction.
CREATE UNIQUE INDEX IF NOT EXISTS generations_one_active ON generations (is_active) WHERE is_active;

CREATE TABLE IF NOT EXISTS areas (
    id             bigserial PRIMARY KEY,
    generation_id  integer NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    code           text NOT NULL,
    name           text NOT NULL,
    tier           smallint NOT NULL CHECK (tier BETWEEN 1 AND 4),  -- 1 county, 2 town, 3 village, 4 grid
    parent_id      bigint REFERENCES areas (id) ON DELETE CASCADE,
    geom           geometry(MultiPolygon, 4326) NOT NULL,
    geom_3857      geometry(MultiPolygon, 3857) NOT NULL,
    area_m2        double precision NOT NULL,
    population     integer,
    attrs          jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (generation_id, code),
    CHECK ((tier = 1) = (parent_id IS NULL))
);
CREATE INDEX IF NOT EXISTS areas_geom_gix ON areas USING gist (geom);
CREATE INDEX IF NOT EXISTS areas_geom_3857_gix ON areas USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS areas_parent_idx ON areas (parent_id);
CREATE INDEX IF NOT EXISTS areas_generation_tier_idx ON areas (generation_id, tier);

-- Subdivided copies for fast point lookups in SQL (mapit's trick: small pieces make GiST selective).
CREATE TABLE IF NOT EXISTS area_pieces (
    area_id        bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    generation_id  integer NOT NULL,
    tier           smallint NOT NULL,
    geom           geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS area_pieces_geom_gix ON area_pieces USING gist (geom);
CREATE INDEX IF NOT EXISTS area_pieces_area_idx ON area_pieces (area_id);
