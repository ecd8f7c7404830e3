-- Facts of every case registered in [p_since, p_until), as they stood at p_until: the input of the 考核
-- figures (gis/hotspots/kpi.py) and data/cases/README.md's definitions. Callers filter the result with
-- a region condition on alias c (c.town_code = ...).
-- ``overdue`` is fq_is_overdue (schema 126) for the state the case was in at the period's end (or now, for a
-- period not over yet); p_pending are the workflow's states before resolution.
DROP FUNCTION IF EXISTS fq_case_facts(timestamptz, timestamptz);
CREATE OR REPLACE FUNCTION fq_case_facts(p_since timestamptz, p_until timestamptz, p_pending text[])
RETURNS TABLE (
    id bigint, town_code text, village_code text, grid_code text, category_code text, source_channel text,
    status text, handling_tier smallint, created_at timestamptz, due_at timestamptz,
    resolved_at timestamptz, escalated boolean, followed_up boolean, satisfaction smallint,
    excluded boolean, lead_staff_id bigint, overdue boolean)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.id, c.town_code, c.village_code, c.grid_code, c.category_code, c.source_channel, c.status,
           c.handling_tier, c.created_at, c.due_at, t.resolved_at, coalesce(t.escalated, false),
           coalesce(t.followed_up, false), CASE WHEN t.evaluated THEN c.satisfaction END,
           c.status IN ('returned', 'duplicate'), lead.staff_id,
           fq_is_overdue(st.state, c.due_at, least(p_until, now()), p_pending)
    FROM cases c
    LEFT JOIN LATERAL (
        SELECT min(x.at) FILTER (WHERE x.action = 'resolve') AS resolved_at,
               bool_or(x.action IN ('escalate', 'auto_escalate')) AS escalated,
               bool_or(x.action = 'follow_up') AS followed_up,
               bool_or(x.action = 'evaluate') AS evaluated
        FROM case_transitions x WHERE x.case_id = c.id AND x.at < p_until) t ON true
    LEFT JOIN LATERAL (
        SELECT d.staff_id FROM dispatch_orders d
        WHERE d.case_id = c.id AND d.role = 'lead' AND d.status NOT IN ('declined', 'cancelled')
          AND d.dispatched_at < p_until
        ORDER BY d.dispatched_at DESC, d.id DESC LIMIT 1) lead ON true
    -- The state at the instant: the last move before it; else the state the first later move started from.
    LEFT JOIN LATERAL (
        SELECT coalesce(
            (SELECT x.to_state FROM case_transitions x WHERE x.case_id = c.id AND x.at <= least(p_until, now())
             ORDER BY x.at DESC, x.id DESC LIMIT 1),
            (SELECT x.from_state FROM case_transitions x WHERE x.case_id = c.id ORDER BY x.at, x.id LIMIT 1),
            c.status) AS state) st ON true
    WHERE c.created_at >= p_since AND c.created_at < p_until
$$;
COMMENT ON FUNCTION fq_case_facts(timestamptz, timestamptz, text[]) IS
    'Per case registered in the window: resolution time, escalation, follow-up, satisfaction, lead staff and overdue as of the window end';
