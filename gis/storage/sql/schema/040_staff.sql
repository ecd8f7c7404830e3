-- Staff roster, live positions and dispatch orders. Double-booking is impossible by construction:
-- an active order holds one of the staff member's capacity slots, and a slot is held at most once.

CREATE TABLE IF NOT EXISTS staff (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_code         text NOT NULL UNIQUE,
    name               text NOT NULL,
    role               text NOT NULL CHECK (role = ANY (fq_staff_roles())),  -- gis.staff.roster (rendered.py)
    organisation       text NOT NULL DEFAULT '',
    phone              text NOT NULL DEFAULT '',
    skills             text[] NOT NULL DEFAULT '{}',
    territory          text[] NOT NULL DEFAULT '{}',
    home               geometry(Point, 4326),
    home_village_code  text,
    duty_status        text NOT NULL DEFAULT 'on_duty' CHECK (duty_status IN ('on_duty', 'off_duty', 'busy')),
    capacity           integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 20),
    languages          text[] NOT NULL DEFAULT '{}',
    active             boolean NOT NULL DEFAULT true,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS staff_territory_gin ON staff USING gin (territory);
CREATE INDEX IF NOT EXISTS staff_role_idx ON staff (role) WHERE active;
CREATE INDEX IF NOT EXISTS staff_home_gix ON staff USING gist (home);

-- One row per unit of capacity; kept in step with staff.capacity by fq_sync_staff_slots().
CREATE TABLE IF NOT EXISTS staff_slots (
    staff_id  bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    slot      smallint NOT NULL,
    PRIMARY KEY (staff_id, slot)
);

CREATE TABLE IF NOT EXISTS staff_positions_latest (
    staff_id     bigint PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    lon          double precision NOT NULL,
    lat          double precision NOT NULL,
    geom         geometry(Point, 4326) NOT NULL,
    accuracy_m   real,
    recorded_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS staff_positions_latest_gix ON staff_positions_latest USING gist (geom);

-- Track history (sensitive under PIPL: whereabouts); purged after the retention period.
CREATE TABLE IF NOT EXISTS staff_positions (
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    lon          double precision NOT NULL,
    lat          double precision NOT NULL,
    accuracy_m   real,
    recorded_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS staff_positions_time_idx ON staff_positions (recorded_at);
CREATE INDEX IF NOT EXISTS staff_positions_staff_idx ON staff_positions (staff_id, recorded_at);

CREATE TABLE IF NOT EXISTS dispatch_orders (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id),
    staff_id      bigint NOT NULL,
    slot          smallint NOT NULL,
    role          text NOT NULL CHECK (role IN ('lead', 'assist')),
    status        text NOT NULL CHECK (status IN ('dispatched', 'accepted', 'en_route', 'on_scene', 'completed',
                                                  'declined', 'returned', 'cancelled')),
    active        boolean GENERATED ALWAYS AS (status IN ('dispatched', 'accepted', 'en_route', 'on_scene')) STORED,
    reason        text NOT NULL DEFAULT '',
    note          text NOT NULL DEFAULT '',
    created_by    integer REFERENCES users (id),
    dispatched_at timestamptz NOT NULL DEFAULT now(),
    accepted_at   timestamptz,
    en_route_at   timestamptz,
    on_scene_at   timestamptz,
    completed_at  timestamptz,
    declined_at   timestamptz,
    returned_at   timestamptz,
    cancelled_at  timestamptz,
    FOREIGN KEY (staff_id, slot) REFERENCES staff_slots (staff_id, slot)
);
-- The guarantee: a capacity slot is held by at most one active order, and nobody is sent twice to a case.
CREATE UNIQUE INDEX IF NOT EXISTS dispatch_one_order_per_slot ON dispatch_orders (staff_id, slot) WHERE active;
CREATE UNIQUE INDEX IF NOT EXISTS dispatch_once_per_case ON dispatch_orders (case_id, staff_id) WHERE active;
CREATE INDEX IF NOT EXISTS dispatch_case_idx ON dispatch_orders (case_id);
