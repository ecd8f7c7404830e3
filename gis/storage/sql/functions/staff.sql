-- Keep staff_slots equal to 1..capacity for every staff member (slots held by active orders are never removed).
-- Runs as the owner: slots held by orders of any town count, whichever region the caller sees.
CREATE OR REPLACE FUNCTION fq_sync_staff_slots() RETURNS integer LANGUAGE sql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH added AS (
        INSERT INTO staff_slots (staff_id, slot)
        SELECT s.id, g FROM staff s, generate_series(1, s.capacity) g
        ON CONFLICT DO NOTHING RETURNING 1
    ), removed AS (
        DELETE FROM staff_slots sl USING staff s
        WHERE sl.staff_id = s.id AND sl.slot > s.capacity
          AND NOT EXISTS (SELECT 1 FROM dispatch_orders d WHERE d.staff_id = sl.staff_id AND d.slot = sl.slot)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM added)::integer - (SELECT count(*) FROM removed)::integer;
$$;
COMMENT ON FUNCTION fq_sync_staff_slots() IS 'Adds missing capacity slots and drops unused slots beyond capacity.';
