-- A live event needs the rule that reads its kind (gis.policy.EVENT_RULES): cases, orders and staff events
-- go to the roles that may read cases, orders and staff (not the GIS role); boundary events to every worker
-- role; kinds no rule names reach nobody. The region part is schema 110's, unchanged.

CREATE OR REPLACE FUNCTION fq_sees_event(p_kind text, p_town text, p_payload jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fq_worker() AND CASE
        WHEN p_kind LIKE 'case.%' OR p_kind LIKE 'dispatch.%' OR p_kind LIKE 'staff.%'
            THEN fq_role() IN ('system', 'admin', 'operator', 'supervisor', 'field')
        WHEN p_kind LIKE 'boundaries.%' THEN fq_role() IN ('system', 'admin', 'gis', 'operator', 'supervisor', 'field')
        ELSE false
    END AND CASE
        WHEN fq_role() = 'field' THEN p_kind LIKE 'dispatch.%' AND p_payload ->> 'staff_code' = fq_staff_code()
        WHEN p_kind LIKE 'staff.position%' THEN fq_town() IS NULL
             AND (fq_role() = 'system' OR fq_role() = ANY (fq_personal_data_roles()))
        WHEN p_town IS NOT NULL THEN fq_town() IS NULL OR p_town = fq_town()
        ELSE fq_town() IS NULL
    END
$$;
