-- Registrations for events: a person registers themselves and colleagues; with a
-- capacity, those beyond it wait and move up in order when a seat frees.
-- Personal data: read only by the organising organisation's staff and the secretariat.

CREATE TABLE event_registrations (
    id {id},
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organisation_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL,
    attendees INTEGER NOT NULL CHECK (attendees > 0),
    status TEXT NOT NULL,
    attended BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX event_registrations_by_event ON event_registrations (event_id, status, id);
-- One active registration per address and event (both backends know partial indexes).
CREATE UNIQUE INDEX event_registrations_one_per_email ON event_registrations (event_id, email) WHERE status <> 'cancelled';
