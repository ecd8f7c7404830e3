-- Notifications: one row per recipient and channel. The console reads its own rows ('console'); outside
-- senders ('sms', 'wecom', 'dingtalk') are delivered by the outbox (gis/notify/outbox.py) with retries:
-- `attempts`, `next_attempt_at` (back-off) and `last_error`. `dedup_key` keeps a repeated trigger (a sweep
-- run twice, a retried request) from notifying the same person twice.
CREATE TABLE IF NOT EXISTS notifications (
    id               bigserial PRIMARY KEY,
    user_id          integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    title            text NOT NULL,
    body             text NOT NULL DEFAULT '',
    case_id          bigint REFERENCES cases (id) ON DELETE CASCADE,
    town_code        text,
    channel          text NOT NULL DEFAULT 'console'
                     CHECK (channel IN ('console', 'sms', 'wecom', 'dingtalk')),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'read')),
    attempts         smallint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    dedup_key        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    read_at          timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS notifications_once_idx ON notifications (user_id, channel, dedup_key)
    WHERE dedup_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX IF NOT EXISTS notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';

-- Each person reads and marks only their own rows; the server's own work (the outbox) sees all. Any signed-in
-- worker's request may enqueue (a field user's decline notifies the operators), without reading back.
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_read ON notifications;
DROP POLICY IF EXISTS own_update ON notifications;
DROP POLICY IF EXISTS enqueue ON notifications;
DROP POLICY IF EXISTS system_delete ON notifications;
CREATE POLICY own_read ON notifications FOR SELECT USING (user_id = fq_user_id() OR fq_role() = 'system');
CREATE POLICY own_update ON notifications FOR UPDATE USING (user_id = fq_user_id() OR fq_role() = 'system');
CREATE POLICY enqueue ON notifications FOR INSERT WITH CHECK (fq_worker());
CREATE POLICY system_delete ON notifications FOR DELETE USING (fq_role() = 'system');

-- Enqueueing: the writer names the recipients but may not read their rows, and a repeated trigger must be
-- skipped (ON CONFLICT needs to see the row it conflicts with). So rows are added by this function, run as the
-- table's owner, for signed-in workers (and the owner's own connections) only; it returns how many rows are new.
CREATE OR REPLACE FUNCTION fq_enqueue_notifications(p_users integer[], p_kind text, p_title text, p_body text,
    p_case bigint, p_town text, p_channel text, p_dedup text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    made integer;
BEGIN
    IF NOT fq_worker() AND NOT pg_has_role(session_user, current_user, 'MEMBER') THEN  -- the owner: CLI, tests
        RAISE EXCEPTION 'notifications are enqueued by signed-in workers only' USING ERRCODE = '42501';
    END IF;
    INSERT INTO notifications (user_id, kind, title, body, case_id, town_code, channel, dedup_key)
    SELECT DISTINCT u, p_kind, p_title, p_body, p_case, p_town, p_channel, p_dedup FROM unnest(p_users) AS u
    ON CONFLICT (user_id, channel, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN made;
END $$;

-- A person's notification settings (the console's sound is off until they turn it on).
CREATE TABLE IF NOT EXISTS notification_prefs (
    user_id  integer PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sound    boolean NOT NULL DEFAULT false
);
ALTER TABLE notification_prefs ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own ON notification_prefs;
CREATE POLICY own ON notification_prefs USING (user_id = fq_user_id()) WITH CHECK (user_id = fq_user_id());

-- Who in a town's region is told (operators whose region covers the town: the town's own and county-wide).
CREATE OR REPLACE FUNCTION fq_operators_of(p_town text) RETURNS SETOF integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT id FROM users WHERE role = 'operator' AND NOT disabled AND (town_code IS NULL OR town_code = p_town)
$$;
