-- Accounts: passwords (argon2id), lock-out, server-side sessions, named revocable API keys, the auditor role.

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role = ANY (fq_user_roles()));
ALTER TABLE users ADD COLUMN IF NOT EXISTS password_hash text;
ALTER TABLE users ADD COLUMN IF NOT EXISTS failed_logins integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN IF NOT EXISTS locked_until timestamptz;
ALTER TABLE users ADD COLUMN IF NOT EXISTS password_changed_at timestamptz;
-- Bumped on disable, password change and logout-everywhere: access tokens issued before are refused.
ALTER TABLE users ADD COLUMN IF NOT EXISTS token_epoch integer NOT NULL DEFAULT 0;

-- API keys are the old api_tokens rows: only a hash is stored; a key has a name and can be revoked.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS revoked_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS last_used_at timestamptz;

CREATE TABLE IF NOT EXISTS user_sessions (
    id_hash       bytea PRIMARY KEY,          -- keyed hash of the cookie value; the value is never stored
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    client_ip     text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS user_sessions_user_idx ON user_sessions (user_id);

-- Access tokens (JWT) revoked before they expire (logout).
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti         text PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);

-- Sign-in attempts per client address (rate limit independent of the account named).
CREATE TABLE IF NOT EXISTS rate_events (
    bucket  text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rate_events_bucket_idx ON rate_events (bucket, at);
