-- The caller's region is an area code of any tier (a county, a town; later a city), not only a town code.
-- gis/storage/row_security.py sets fengqiao.region for every transaction beside the settings of schema 110;
-- fengqiao.town stays set when the region is one town, so fq_town() and the policies written with it keep
-- working. A row is inside a region when the region is its town's or its county's code: codes nest (a town's
-- code begins with its county's, GB/T 2260 and the statistical division codes), so for rows that carry only a
-- town code the region is a prefix of it. gis.policy.in_region says the same in Python;
-- tests/test_policy_equivalence.py compares the two over every combination.

CREATE OR REPLACE FUNCTION fq_region() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(nullif(current_setting('fengqiao.region', true), ''), fq_town()) $$;

-- Whether something in p_town (NULL: county-level, no town) lies inside the caller's region (none: everything).
CREATE OR REPLACE FUNCTION fq_in_region(p_town text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT fq_region() IS NULL OR coalesce(starts_with(p_town, fq_region()), false) $$;

-- Cases carry their county's code too: the region is the case's town or county. The settings are read once
-- per query (each (SELECT fq_...()) is an init plan); storage adds "town_code = <the town>" for the index.
DROP POLICY IF EXISTS region ON cases;
CREATE POLICY region ON cases USING (
    (SELECT fq_worker())
    AND ((SELECT fq_region()) IS NULL OR town_code = (SELECT fq_region()) OR county_code = (SELECT fq_region()))
    AND ((SELECT fq_role()) <> 'field' OR created_by = (SELECT fq_user_id()) OR fq_sent_to_me(id)));

CREATE OR REPLACE FUNCTION fq_sees_staff(p_town text, p_role text, p_code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN fq_role() = 'field' THEN p_code = fq_staff_code()
        ELSE fq_in_region(p_town) OR p_role = ANY (fq_county_level_staff_roles())
    END
$$;
CREATE OR REPLACE FUNCTION fq_manages_staff(p_town text, p_role text, p_code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN fq_role() = 'field' THEN p_code = fq_staff_code()
        ELSE fq_region() IS NULL OR (fq_in_region(p_town) AND NOT p_role = ANY (fq_county_level_staff_roles()))
    END
$$;

CREATE OR REPLACE FUNCTION fq_sees_event(p_kind text, p_town text, p_payload jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN p_kind LIKE 'case.%' OR p_kind LIKE 'dispatch.%' OR p_kind LIKE 'staff.%'
            THEN fq_role() IN ('system', 'admin', 'operator', 'supervisor', 'field')
        WHEN p_kind LIKE 'boundaries.%' THEN fq_role() IN ('system', 'admin', 'gis', 'operator', 'supervisor', 'field')
        ELSE false
    END AND CASE
        WHEN fq_role() = 'field' THEN p_kind LIKE 'dispatch.%' AND p_payload ->> 'staff_code' = fq_staff_code()
        WHEN p_kind LIKE 'staff.position%' THEN fq_region() IS NULL
             AND (fq_role() = 'system' OR fq_role() = ANY (fq_personal_data_roles()))
        WHEN p_town IS NOT NULL THEN fq_in_region(p_town)
        ELSE fq_region() IS NULL
    END
$$;
