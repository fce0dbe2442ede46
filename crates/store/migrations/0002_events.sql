-- The shared event calendar of the seven cities.
-- Times are local wall-clock times in Asia/Tokyo, stored as 'YYYY-MM-DDTHH:MM' text so
-- that both backends sort and compare them alike; all-day events keep 00:00.

CREATE TABLE events (
    id {id},
    key TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    city_id BIGINT NOT NULL REFERENCES cities(id),
    event_type TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    all_day BOOLEAN NOT NULL DEFAULT FALSE,
    date_is_approximate BOOLEAN NOT NULL DEFAULT FALSE,
    venue TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    initiative_id BIGINT REFERENCES initiatives(id) ON DELETE SET NULL,
    description TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    members_only BOOLEAN NOT NULL DEFAULT FALSE,
    capacity INTEGER,
    status TEXT NOT NULL DEFAULT 'scheduled',
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX events_by_start ON events (starts_at);
CREATE INDEX events_by_city ON events (city_id, starts_at);
CREATE INDEX events_by_organisation ON events (organisation_id, starts_at);

CREATE TABLE event_pillars (
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    pillar SMALLINT NOT NULL CHECK (pillar BETWEEN 1 AND 3),
    PRIMARY KEY (event_id, pillar)
);
