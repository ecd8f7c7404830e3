-- Progress notes from the field (and the centre) on a case, under the case's row security like its
-- attachments; and the team of a case as the order card shows it to each member.

CREATE TABLE IF NOT EXISTS case_notes (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    dispatch_id  bigint REFERENCES dispatch_orders (id) ON DELETE SET NULL,  -- the order it was written for
    author_id    integer REFERENCES users (id) ON DELETE SET NULL,
    author_name  text NOT NULL DEFAULT '',
    body         text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 2000),
    -- The phone's own key for the note: a retry after a lost answer finds the first one.
    client_key   text CHECK (length(client_key) BETWEEN 8 AND 64),
    written_at   timestamptz,              -- when the phone queued it (it may arrive later)
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_notes_case_idx ON case_notes (case_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS case_notes_client_key_idx ON case_notes (author_id, client_key)
    WHERE client_key IS NOT NULL;

ALTER TABLE case_notes ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON case_notes;
CREATE POLICY region ON case_notes USING (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id))
    WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id));

-- Everyone sent to a case: name, roster role, 主办/协办 and status only (a field user's own orders policy shows
-- them no other order). Callers reach it through the case they can read: storage joins it to `cases`, so a
-- case outside the caller's view has no team.
CREATE OR REPLACE FUNCTION fq_case_team(p_case_id bigint)
RETURNS TABLE (dispatch_id bigint, staff_id bigint, staff_name text, staff_role text, role text, status text,
               active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT d.id, s.id, s.name, s.role, d.role, d.status, d.active
    FROM dispatch_orders d JOIN staff s ON s.id = d.staff_id
    WHERE d.case_id = p_case_id ORDER BY d.active DESC, d.role = 'assist', d.id
$$;
