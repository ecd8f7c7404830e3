-- Append-only event log behind the live event stream (SSE ids are these ids; replay reads from here).
CREATE TABLE IF NOT EXISTS events (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text NOT NULL,          -- case.created, case.transition, dispatch.status, staff.position, ...
    town_code  text,                   -- scope: NULL means county-wide (visible to county-wide users only)
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS events_at_idx ON events (at);
