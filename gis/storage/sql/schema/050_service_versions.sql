-- What in-memory services are built from, and how every server process learns that it changed.
-- A statement-level trigger bumps the version and NOTIFYs in the writer's transaction, so any writer
-- (API, CLI, a script, another machine) reaches every listening process when it commits.

CREATE TABLE IF NOT EXISTS service_versions (
    name        text PRIMARY KEY,          -- generation | roster
    version     bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO service_versions (name) VALUES ('generation'), ('roster') ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION fq_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_versions SET version = version + 1, changed_at = now() WHERE name = TG_ARGV[0];
    PERFORM pg_notify('fq_changes', TG_ARGV[0]);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS generations_changed ON generations;
CREATE TRIGGER generations_changed AFTER UPDATE OF is_active ON generations
    FOR EACH STATEMENT EXECUTE FUNCTION fq_bump_version('generation');

DROP TRIGGER IF EXISTS staff_changed ON staff;
CREATE TRIGGER staff_changed AFTER INSERT OR UPDATE OR DELETE ON staff
    FOR EACH STATEMENT EXECUTE FUNCTION fq_bump_version('roster');

-- Positions arrive by the thousand per second from many writers: notify only (no counter row to contend on);
-- readers take max(received_at) as the positions' version.
CREATE OR REPLACE FUNCTION fq_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fq_changes', TG_ARGV[0]);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS positions_changed ON staff_positions_latest;
CREATE TRIGGER positions_changed AFTER INSERT OR UPDATE OR DELETE ON staff_positions_latest
    FOR EACH STATEMENT EXECUTE FUNCTION fq_notify_change('positions');

-- The town a staff member serves: the town of their most local territory code in the active generation
-- (NULL for units with no town territory, such as county legal aid). Set on every roster write and
-- recomputed for everyone when a generation is activated.
ALTER TABLE staff ADD COLUMN IF NOT EXISTS town_code text;
CREATE INDEX IF NOT EXISTS staff_town_idx ON staff (town_code);

CREATE OR REPLACE FUNCTION fq_staff_town(territory text[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE a.tier WHEN 2 THEN a.code WHEN 3 THEN p.code WHEN 4 THEN pp.code END
    FROM unnest(territory) AS t(code)
    JOIN generations g ON g.is_active
    JOIN areas a ON a.generation_id = g.id AND a.code = t.code AND a.tier > 1
    LEFT JOIN areas p ON p.id = a.parent_id
    LEFT JOIN areas pp ON pp.id = p.parent_id
    ORDER BY a.tier DESC, a.code LIMIT 1
$$;
COMMENT ON FUNCTION fq_staff_town(text[]) IS 'The town (tier 2 code) of the most local territory code, active generation.';

CREATE OR REPLACE FUNCTION fq_set_staff_town() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.town_code := fq_staff_town(NEW.territory);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS staff_town ON staff;
CREATE TRIGGER staff_town BEFORE INSERT OR UPDATE OF territory ON staff
    FOR EACH ROW EXECUTE FUNCTION fq_set_staff_town();

CREATE OR REPLACE FUNCTION fq_refresh_staff_towns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE staff SET town_code = fq_staff_town(territory)
    WHERE town_code IS DISTINCT FROM fq_staff_town(territory);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS generation_staff_towns ON generations;
CREATE TRIGGER generation_staff_towns AFTER UPDATE OF is_active ON generations
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refresh_staff_towns();

UPDATE staff SET town_code = fq_staff_town(territory) WHERE town_code IS DISTINCT FROM fq_staff_town(territory);
