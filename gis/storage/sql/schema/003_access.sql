-- Users, API tokens and the access audit trail.

CREATE TABLE IF NOT EXISTS users (
    id          serial PRIMARY KEY,
    username    text NOT NULL UNIQUE,
    display     text NOT NULL DEFAULT '',
    role        text NOT NULL CHECK (role = ANY (fq_user_roles())),  -- gis.policy.Role (gis/storage/rendered.py)
    town_code   text,            -- NULL: county-wide; else the town (tier 2) code the user is limited to
    staff_code  text,            -- field staff: the roster entry this login belongs to
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled    boolean NOT NULL DEFAULT false
);

CREATE TABLE IF NOT EXISTS api_tokens (
    token_sha256  bytea PRIMARY KEY,  -- only the hash is stored
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz
);

CREATE TABLE IF NOT EXISTS audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     integer REFERENCES users (id),
    username    text NOT NULL DEFAULT '',
    action      text NOT NULL,        -- e.g. case.read, case.create, boundaries.activate
    object_type text NOT NULL DEFAULT '',
    object_id   text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_object_idx ON audit_log (object_type, object_id);
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at);
