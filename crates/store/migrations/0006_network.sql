-- 仲間まわし: machines (設備) of directory companies with their working week, jobs of a
-- hub company as ordered operations with the machines that can do each and how long
-- it takes there, the router's plan per operation, and the factories' progress.
-- Times of the network are whole minutes since Monday 2024-01-01 00:00 Asia/Tokyo.

CREATE TABLE network_machines (
    id {id},
    company_id BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- Process codes of the taxonomy, space separated.
    processes TEXT NOT NULL,
    -- Monday first, '1' for a working day: '1111100'.
    days TEXT NOT NULL,
    day_start INTEGER NOT NULL,
    day_end INTEGER NOT NULL,
    -- Days off (YYYY-MM-DD, space separated): national holidays, summer shutdown.
    holidays TEXT NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE network_jobs (
    id {id},
    key TEXT NOT NULL UNIQUE,
    hub_company_id BIGINT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    release_at BIGINT NOT NULL,
    due_at BIGINT,
    created_at {ts} NOT NULL
);

CREATE TABLE network_operations (
    id {id},
    job_id BIGINT NOT NULL REFERENCES network_jobs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    process TEXT NOT NULL,
    -- The router's plan (or, once started, where it runs).
    machine_id BIGINT REFERENCES network_machines(id),
    planned_start BIGINT,
    planned_end BIGINT,
    -- What the factory reported.
    started_at BIGINT,
    finished_at BIGINT,
    -- A delay reported for a running operation: its expected end.
    expected_end BIGINT,
    UNIQUE (job_id, position)
);

CREATE TABLE network_alternatives (
    operation_id BIGINT NOT NULL REFERENCES network_operations(id) ON DELETE CASCADE,
    machine_id BIGINT NOT NULL REFERENCES network_machines(id) ON DELETE CASCADE,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (operation_id, machine_id)
);

CREATE TABLE network_routes (
    id {id},
    routed_at {ts} NOT NULL,
    now_minute BIGINT NOT NULL,
    makespan BIGINT NOT NULL,
    tardiness BIGINT NOT NULL,
    user_email TEXT NOT NULL
);

-- A machine that went down: from a minute, until a minute or until further notice.
CREATE TABLE network_outages (
    id {id},
    machine_id BIGINT NOT NULL REFERENCES network_machines(id) ON DELETE CASCADE,
    from_minute BIGINT NOT NULL,
    until_minute BIGINT,
    note TEXT NOT NULL,
    user_email TEXT NOT NULL,
    created_at {ts} NOT NULL
);

-- A job's history: entered, planned, re-planned, each start, finish, delay and breakdown.
CREATE TABLE network_events (
    id {id},
    job_id BIGINT NOT NULL REFERENCES network_jobs(id) ON DELETE CASCADE,
    operation_id BIGINT REFERENCES network_operations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at_minute BIGINT NOT NULL,
    detail TEXT NOT NULL,
    user_email TEXT NOT NULL,
    recorded_at {ts} NOT NULL
);

CREATE INDEX network_events_job ON network_events (job_id, id);
