-- Device sign-in: the centre issues a one-time code (shown as a QR code) that a phone exchanges for a
-- long-lived device session. Only keyed hashes of codes are stored, as for sessions.

-- A session's own idle limit (device sessions are long-lived); NULL: the server's idle setting.
ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS idle_s integer;
-- 'browser' (the sign-in form) or 'device' (a device link); device sessions are listed with a revoke.
ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'browser';
ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS label text NOT NULL DEFAULT '';
ALTER TABLE user_sessions DROP CONSTRAINT IF EXISTS user_sessions_kind_check;
ALTER TABLE user_sessions ADD CONSTRAINT user_sessions_kind_check CHECK (kind IN ('browser', 'device'));
CREATE INDEX IF NOT EXISTS user_sessions_device_idx ON user_sessions (user_id) WHERE kind = 'device';

CREATE TABLE IF NOT EXISTS device_codes (
    code_hash    bytea PRIMARY KEY,            -- keyed hash of the one-time code; the code is never stored
    user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_by    integer REFERENCES users (id) ON DELETE SET NULL,
    label        text NOT NULL DEFAULT '',
    -- The user's token epoch when issued: a password change or disabling bumps it and the code is void.
    token_epoch  integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX IF NOT EXISTS device_codes_user_idx ON device_codes (user_id);
