-- What an event achieved (実績), recorded by its organiser's staff once it has taken
-- place: at most one row per event. Whether an event has ended (終了) is derived
-- from its dates and from this row (domain::events::EventState), never stored.
CREATE TABLE event_results (
    event_id BIGINT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    participants INTEGER NOT NULL CHECK (participants >= 0),
    companies INTEGER CHECK (companies >= 0),
    note TEXT NOT NULL DEFAULT '',
    recorded_at {ts} NOT NULL
);
