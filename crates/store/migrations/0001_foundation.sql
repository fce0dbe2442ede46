-- The foundation: organisations, the initiative catalogue, accounts, audit, changes.
-- Placeholders: {id} is the auto-increment primary key, {ts} a timestamp with time zone,
-- {real} a double-precision number; the runner fills them per backend.

CREATE TABLE cities (
    id {id},
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kana TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    local_gov_code TEXT NOT NULL UNIQUE
);

CREATE TABLE organisations (
    id {id},
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    city_id BIGINT REFERENCES cities(id),
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE partners (
    id {id},
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    city_id BIGINT REFERENCES cities(id),
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE initiatives (
    id {id},
    key TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    program_kind TEXT NOT NULL DEFAULT 'other',
    pillars_inferred BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX initiatives_by_organisation ON initiatives (organisation_id, sort_order);

CREATE TABLE initiative_pillars (
    initiative_id BIGINT NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
    pillar SMALLINT NOT NULL CHECK (pillar BETWEEN 1 AND 3),
    PRIMARY KEY (initiative_id, pillar)
);

CREATE TABLE initiative_partners (
    initiative_id BIGINT NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    PRIMARY KEY (initiative_id, partner_id)
);

CREATE TABLE fiscal_entries (
    id {id},
    initiative_id BIGINT NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
    fy INTEGER NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    updated_at {ts} NOT NULL,
    UNIQUE (initiative_id, fy)
);
CREATE INDEX fiscal_entries_by_year ON fiscal_entries (fy);

CREATE TABLE kpis (
    id {id},
    entry_id BIGINT NOT NULL REFERENCES fiscal_entries(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    value {real} NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX kpis_by_entry ON kpis (entry_id, sort_order);

CREATE TABLE users (
    id {id},
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations(id),
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    created_at {ts} NOT NULL
);

CREATE TABLE login_attempts (
    id {id},
    email TEXT NOT NULL,
    client TEXT NOT NULL DEFAULT '',
    succeeded BOOLEAN NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
CREATE INDEX login_attempts_by_client ON login_attempts (client, at);

CREATE TABLE audit_log (
    id {id},
    at {ts} NOT NULL,
    user_id BIGINT REFERENCES users(id),
    user_email TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations(id),
    summary TEXT NOT NULL DEFAULT '',
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- What changed, in order: followed by search indexes and feeds in every process.
CREATE TABLE changes (
    seq {id},
    at {ts} NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    op TEXT NOT NULL
);
