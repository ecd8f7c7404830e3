-- Cases (矛盾纠纷/事件) and their closed loop: parties, transitions, supervision (督办).

CREATE TABLE IF NOT EXISTS cases (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_no          text GENERATED ALWAYS AS ('AJ' || lpad(id::text, 8, '0')) STORED UNIQUE,
    status           text NOT NULL,
    lon              double precision,          -- WGS84 as located (NULL when only a grid code was given)
    lat              double precision,
    geom             geometry(Point, 4326),
    grid_code        text NOT NULL,
    village_code     text NOT NULL,
    town_code        text NOT NULL,
    county_code      text NOT NULL,
    generation_id    integer NOT NULL REFERENCES generations (id),
    located_by       text NOT NULL CHECK (located_by IN ('point', 'grid_code')),
    locate_evidence  jsonb NOT NULL DEFAULT '{}'::jsonb,
    category_code    text NOT NULL,
    source_channel   text NOT NULL,
    title            text NOT NULL DEFAULT '',
    description      text NOT NULL,
    severity         text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    handling_tier    smallint NOT NULL CHECK (handling_tier BETWEEN 1 AND 4),
    handling_unit    text NOT NULL,
    due_at           timestamptz NOT NULL,
    warning_level    text NOT NULL DEFAULT 'none' CHECK (warning_level IN ('none', 'yellow', 'red')),
    satisfaction     smallint CHECK (satisfaction BETWEEN 1 AND 5),
    duplicate_of     bigint REFERENCES cases (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    created_by       integer NOT NULL REFERENCES users (id),
    idempotency_key  text,
    request_sha256   text,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX IF NOT EXISTS cases_geom_gix ON cases USING gist (geom);
CREATE INDEX IF NOT EXISTS cases_status_idx ON cases (status);
CREATE INDEX IF NOT EXISTS cases_town_idx ON cases (town_code, created_at);
CREATE INDEX IF NOT EXISTS cases_grid_idx ON cases (grid_code);
CREATE INDEX IF NOT EXISTS cases_created_idx ON cases (created_at);
CREATE INDEX IF NOT EXISTS cases_due_idx ON cases (due_at) WHERE closed_at IS NULL;

-- Parties: personal data. The ID number is kept only as a keyed hash (repeat matching) and a mask.
CREATE TABLE IF NOT EXISTS case_parties (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    role          text NOT NULL DEFAULT 'applicant' CHECK (role IN ('applicant', 'respondent', 'other')),
    name          text NOT NULL,
    id_hash       bytea,
    id_masked     text,
    phone         text,
    village_code  text
);
CREATE INDEX IF NOT EXISTS case_parties_case_idx ON case_parties (case_id);
CREATE INDEX IF NOT EXISTS case_parties_id_hash_idx ON case_parties (id_hash) WHERE id_hash IS NOT NULL;

CREATE TABLE IF NOT EXISTS case_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    note        text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    actor_id    integer REFERENCES users (id),
    actor_name  text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_transitions_case_idx ON case_transitions (case_id, at);

CREATE TABLE IF NOT EXISTS case_supervisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    level        text NOT NULL CHECK (level IN ('yellow', 'red')),
    reason       text NOT NULL,
    handling_tier smallint NOT NULL,
    at           timestamptz NOT NULL,
    UNIQUE (case_id, level, handling_tier)
);
