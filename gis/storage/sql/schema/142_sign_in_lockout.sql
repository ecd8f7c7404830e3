-- Lock-out per (account, client address) with exponential back-off. Failures from one address never lock the
-- account for anyone else, a lock ends on its own, and attempts during a lock neither count nor renew it.
-- (users.failed_logins / users.locked_until, the old account-wide lock, are no longer set.)
CREATE TABLE IF NOT EXISTS sign_in_failures (
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_ip     text NOT NULL,
    failures      integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    last_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_ip)
);
UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE locked_until IS NOT NULL OR failed_logins <> 0;
