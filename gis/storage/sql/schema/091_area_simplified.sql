-- Simplified copies of the EPSG:3857 shapes for low-zoom tiles: a tolerance under half a tile unit at the
-- highest zoom each serves (4 m for z <= 10, 1 m for z11-12; a z10 unit is 9.6 m, a z12 unit 2.4 m), so the
-- tiles look the same and village tiles at z10 carry 15 % of the vertices. Kept by a trigger like the labels.
ALTER TABLE areas ADD COLUMN IF NOT EXISTS geom_3857_s4 geometry(Geometry, 3857);
ALTER TABLE areas ADD COLUMN IF NOT EXISTS geom_3857_s1 geometry(Geometry, 3857);

CREATE OR REPLACE FUNCTION fq_area_simplified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom_3857_s4 := ST_Simplify(NEW.geom_3857, 4);
    NEW.geom_3857_s1 := ST_Simplify(NEW.geom_3857, 1);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS areas_simplified ON areas;
CREATE TRIGGER areas_simplified BEFORE INSERT OR UPDATE OF geom_3857 ON areas
    FOR EACH ROW EXECUTE FUNCTION fq_area_simplified();

UPDATE areas SET geom_3857_s4 = ST_Simplify(geom_3857, 4), geom_3857_s1 = ST_Simplify(geom_3857, 1)
    WHERE geom_3857_s4 IS NULL;
