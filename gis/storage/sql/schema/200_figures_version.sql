-- The supervisors' figures (rankings, hotspots, unit and staff statistics) are served from answers cached per
-- data version (gis/figures.py). The 'cases' version moves with every committed change to what those figures
-- count: cases, their transitions and their dispatch orders. A deferred trigger bumps it once per writing
-- transaction, at commit: the counter row is locked only while the writer commits (no writer waits for it while
-- holding a case, so no deadlock), and a reader that reads the version before computing never files an older
-- answer under a newer version. Every server process reads the same row, so all of them follow every writer.

INSERT INTO service_versions (name) VALUES ('cases') ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION fq_bump_cases_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    xact text := pg_current_xact_id()::text;
BEGIN
    -- Once per transaction, however many rows it wrote (a bulk load queues one event per row).
    IF current_setting('fengqiao.cases_bumped_in', true) IS DISTINCT FROM xact THEN
        PERFORM set_config('fengqiao.cases_bumped_in', xact, true);
        UPDATE service_versions SET version = version + 1, changed_at = now() WHERE name = 'cases';
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cases', 'case_transitions', 'dispatch_orders'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS figures_changed ON %I', t);
        EXECUTE format('CREATE CONSTRAINT TRIGGER figures_changed AFTER INSERT OR UPDATE OR DELETE ON %I'
                       ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fq_bump_cases_version()', t);
        EXECUTE format('DROP TRIGGER IF EXISTS figures_truncated ON %I', t);
        EXECUTE format('CREATE TRIGGER figures_truncated AFTER TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION fq_bump_cases_version()', t);
    END LOOP;
END $$;
