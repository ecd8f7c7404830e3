-- Label points of the areas (drawn as names on the map when there is no base map), kept by a trigger so
-- every loader fills them without knowing about labels.
ALTER TABLE areas ADD COLUMN IF NOT EXISTS label_3857 geometry(Point, 3857);

CREATE OR REPLACE FUNCTION fq_area_label() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.label_3857 := ST_PointOnSurface(NEW.geom_3857);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS areas_label ON areas;
CREATE TRIGGER areas_label BEFORE INSERT OR UPDATE OF geom_3857 ON areas
    FOR EACH ROW EXECUTE FUNCTION fq_area_label();

UPDATE areas SET label_3857 = ST_PointOnSurface(geom_3857) WHERE label_3857 IS NULL;
CREATE INDEX IF NOT EXISTS areas_label_3857_gix ON areas USING gist (label_3857);
