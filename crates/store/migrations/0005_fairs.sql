-- Matching fairs (商談会): a fair owned by an organisation (optionally linked to an
-- event of the calendar), its participants from the directory with their role and
-- availability, and the meeting requests between them. A request carries its answer
-- and, once scheduled, its place (slot, table, locked) or why it could not be placed.
-- Slots are numbered from 0; availability is a comma-separated list of slot numbers.

CREATE TABLE fairs (
    id {id},
    key TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    event_id BIGINT REFERENCES events(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    on_date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    slot_count INTEGER NOT NULL,
    slot_minutes INTEGER NOT NULL,
    table_count INTEGER NOT NULL,
    request_deadline TEXT NOT NULL,
    request_cap INTEGER NOT NULL,
    scheduled_at {ts},
    schedule_weight BIGINT,
    schedule_bound BIGINT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX fairs_by_date ON fairs (on_date);

CREATE TABLE fair_participants (
    id {id},
    fair_id BIGINT NOT NULL REFERENCES fairs(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    role TEXT NOT NULL,
    available TEXT NOT NULL DEFAULT '',
    UNIQUE (fair_id, company_id)
);

CREATE TABLE fair_requests (
    id {id},
    fair_id BIGINT NOT NULL REFERENCES fairs(id) ON DELETE CASCADE,
    from_participant_id BIGINT NOT NULL REFERENCES fair_participants(id) ON DELETE CASCADE,
    to_participant_id BIGINT NOT NULL REFERENCES fair_participants(id) ON DELETE CASCADE,
    priority TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    requested_by TEXT NOT NULL DEFAULT '',
    slot INTEGER,
    table_no INTEGER,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    unplaced_reason TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    UNIQUE (fair_id, from_participant_id, to_participant_id)
);
CREATE INDEX fair_requests_by_fair ON fair_requests (fair_id, status);
