-- Row-level security: the database enforces the caller's region too, so a query that forgets its WHERE
-- clause leaks nothing. The policies read four per-transaction settings (gis/storage/row_security.py sets
-- them with set_config(..., true) at the start of every transaction of a request):
--   fengqiao.role   the caller's role, or 'system' for the server's own work; empty: no row is visible
--   fengqiao.town   the town a town user is limited to; empty: county-wide
--   fengqiao.user   the user's id (field users see the cases they registered)
--   fengqiao.staff  the user's staff code (field users see their own orders, position and events)
-- They restate gis/policy.py's region rules; tests/test_row_security.py checks both give the same rows.
-- The application connects as a role that owns nothing (gis/storage/roles.py), so these bind it; the owner
-- (migrations, the CLI) is not bound.

CREATE OR REPLACE FUNCTION fq_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('fengqiao.role', true), '') $$;
CREATE OR REPLACE FUNCTION fq_town() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('fengqiao.town', true), '') $$;
CREATE OR REPLACE FUNCTION fq_user_id() RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('fengqiao.user', true), '')::integer $$;
CREATE OR REPLACE FUNCTION fq_staff_code() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('fengqiao.staff', true), '') $$;

-- Signed in with a role that works with cases, staff and events (auditors read the audit log only).
CREATE OR REPLACE FUNCTION fq_worker() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT fq_role() NOT IN ('', 'auditor') $$;

-- fq_county_level_staff_roles() and fq_personal_data_roles() are rendered from gis.policy on every migrate
-- (gis/storage/rendered.py).

-- A field user's own staff ids (their staff code's row; the staff policy shows them that row).
CREATE OR REPLACE FUNCTION fq_sent_to_me(p_case_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM dispatch_orders d JOIN staff s ON s.id = d.staff_id
                   WHERE d.case_id = p_case_id AND s.staff_code = fq_staff_code())
$$;
COMMENT ON FUNCTION fq_sent_to_me(bigint) IS
    'True when the calling field user holds an order for the case (read as the owner: the orders policy itself looks at cases).';

-- A staff member's load and free capacity slot count every order in the county, whoever asks: a police
-- officer busy in another town is busy. Only counts and slot numbers leave these functions.
CREATE OR REPLACE FUNCTION fq_active_orders(p_staff_id bigint) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*)::integer FROM dispatch_orders d WHERE d.staff_id = p_staff_id AND d.active
$$;
CREATE OR REPLACE FUNCTION fq_free_slot(p_staff_id bigint) RETURNS smallint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT sl.slot FROM staff_slots sl WHERE sl.staff_id = p_staff_id AND NOT EXISTS (
        SELECT 1 FROM dispatch_orders d WHERE d.staff_id = sl.staff_id AND d.slot = sl.slot AND d.active)
    ORDER BY sl.slot LIMIT 1
$$;

-- Case ids in a box, by the spatial index. PostGIS operators are not leakproof, so under a policy the planner
-- may not use them as index conditions on cases; tiles and feature pages take candidate ids from here and
-- read the rows themselves under the policy. Ids and points only: nothing personal leaves.
CREATE OR REPLACE FUNCTION fq_case_ids_in_box(p_box geometry) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.id FROM cases c WHERE c.geom && p_box
$$;

-- Statistics after a boundary load (ANALYZE is the owner's right in PostgreSQL 15).
CREATE OR REPLACE FUNCTION fq_analyze_boundaries() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    ANALYZE areas;
    ANALYZE area_pieces;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Cases and what hangs off them.

-- The settings are read once per query: each (SELECT fq_...()) is an init plan, not a call per row.
ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON cases;
CREATE POLICY region ON cases USING (
    (SELECT fq_worker())
    AND ((SELECT fq_town()) IS NULL OR town_code = (SELECT fq_town()))
    AND ((SELECT fq_role()) <> 'field' OR created_by = (SELECT fq_user_id()) OR fq_sent_to_me(id)));

ALTER TABLE case_parties ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON case_parties;
CREATE POLICY region ON case_parties USING (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id));

ALTER TABLE case_transitions ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON case_transitions;
CREATE POLICY region ON case_transitions USING (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id));

ALTER TABLE case_supervisions ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON case_supervisions;
CREATE POLICY region ON case_supervisions USING (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id));

-- ---------------------------------------------------------------------------------------------------------
-- Staff: town users see their town's staff and the county-level units; field users see themselves.
-- Writes (records, positions): county-wide users for everyone, town users for their own town's staff.

CREATE OR REPLACE FUNCTION fq_sees_staff(p_town text, p_role text, p_code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN fq_role() = 'field' THEN p_code = fq_staff_code()
        ELSE fq_town() IS NULL OR p_town = fq_town() OR p_role = ANY (fq_county_level_staff_roles())
    END
$$;  -- staff are a few thousand rows: the readable form
CREATE OR REPLACE FUNCTION fq_manages_staff(p_town text, p_role text, p_code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN fq_role() = 'field' THEN p_code = fq_staff_code()
        ELSE fq_town() IS NULL OR (p_town = fq_town() AND NOT p_role = ANY (fq_county_level_staff_roles()))
    END
$$;

ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON staff;
DROP POLICY IF EXISTS region_read ON staff;
DROP POLICY IF EXISTS region_write ON staff;
DROP POLICY IF EXISTS region_insert ON staff;
DROP POLICY IF EXISTS region_update ON staff;
DROP POLICY IF EXISTS region_delete ON staff;
-- Permissive policies are OR-ed per command: SELECT sees the region, writes need the managed part of it.
CREATE POLICY region_read ON staff FOR SELECT USING (fq_sees_staff(town_code, role, staff_code));
CREATE POLICY region_insert ON staff FOR INSERT WITH CHECK (fq_manages_staff(town_code, role, staff_code));
CREATE POLICY region_update ON staff FOR UPDATE USING (fq_manages_staff(town_code, role, staff_code))
    WITH CHECK (fq_manages_staff(town_code, role, staff_code));
CREATE POLICY region_delete ON staff FOR DELETE USING (fq_manages_staff(town_code, role, staff_code));

CREATE OR REPLACE FUNCTION fq_manages_staff_id(p_staff_id bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM staff s WHERE s.id = p_staff_id AND fq_manages_staff(s.town_code, s.role, s.staff_code))
$$;

ALTER TABLE staff_positions_latest ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_positions ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['staff_positions_latest', 'staff_positions'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS region_read ON %I', t);
        EXECUTE format('DROP POLICY IF EXISTS region_write ON %I', t);
        EXECUTE format('DROP POLICY IF EXISTS region_update ON %I', t);
        EXECUTE format('DROP POLICY IF EXISTS region_delete ON %I', t);
        EXECUTE format('CREATE POLICY region_read ON %I FOR SELECT'
                       ' USING (EXISTS (SELECT 1 FROM staff s WHERE s.id = staff_id))', t);
        EXECUTE format('CREATE POLICY region_write ON %I FOR INSERT WITH CHECK (fq_manages_staff_id(staff_id))', t);
        EXECUTE format('CREATE POLICY region_update ON %I FOR UPDATE USING (fq_manages_staff_id(staff_id))'
                       ' WITH CHECK (fq_manages_staff_id(staff_id))', t);
        EXECUTE format('CREATE POLICY region_delete ON %I FOR DELETE USING (fq_manages_staff_id(staff_id))', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Orders belong to their case's region; field users see only their own.

ALTER TABLE dispatch_orders ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON dispatch_orders;
CREATE POLICY region ON dispatch_orders USING (
    EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)
    AND (fq_role() <> 'field' OR staff_id IN (SELECT s.id FROM staff s WHERE s.staff_code = fq_staff_code())));

-- ---------------------------------------------------------------------------------------------------------
-- Events (gis.policy.Scope.sees_event): field users get their own orders' steps; positions go to county-wide
-- personal-data roles; town users their town's; county-wide events (no town) to county-wide users. Anyone
-- signed in may append (a field step writes its case's event without seeing it).

CREATE OR REPLACE FUNCTION fq_sees_event(p_kind text, p_town text, p_payload jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN fq_role() = 'field' THEN p_kind LIKE 'dispatch.%' AND p_payload ->> 'staff_code' = fq_staff_code()
        WHEN p_kind LIKE 'staff.position%' THEN fq_town() IS NULL
             AND (fq_role() = 'system' OR fq_role() = ANY (fq_personal_data_roles()))
        WHEN p_town IS NOT NULL THEN fq_town() IS NULL OR p_town = fq_town()
        ELSE fq_town() IS NULL
    END
$$;

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region_read ON events;
DROP POLICY IF EXISTS append ON events;
CREATE POLICY region_read ON events FOR SELECT USING (fq_sees_event(kind, town_code, payload));
CREATE POLICY append ON events FOR INSERT WITH CHECK (fq_worker());

-- ---------------------------------------------------------------------------------------------------------
-- Audit rows: read by auditors and admins (and the sealer); appended by every request, signed in or not
-- (failed sign-ins are audited too). The application's role has no UPDATE or DELETE on them at all.

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS audit_read ON audit_log;
DROP POLICY IF EXISTS audit_append ON audit_log;
CREATE POLICY audit_read ON audit_log FOR SELECT USING (fq_role() IN ('auditor', 'admin', 'system'));
CREATE POLICY audit_append ON audit_log FOR INSERT WITH CHECK (true);
