-- The one definition of overdue (超期), used by the console's list, the overdue board, the statistics and the
-- weekly briefing: a case still before resolution (its state is one of p_pending, the workflow's states before
-- 办结) whose deadline has passed at p_at. Follow-up lateness is a separate figure.
CREATE OR REPLACE FUNCTION fq_is_overdue(p_status text, p_due timestamptz, p_at timestamptz, p_pending text[])
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(p_status = ANY(p_pending) AND p_due <= p_at, false)
$$;
COMMENT ON FUNCTION fq_is_overdue(text, timestamptz, timestamptz, text[]) IS
    'Overdue: the state is before resolution (p_pending) and the deadline p_due has passed at p_at';
