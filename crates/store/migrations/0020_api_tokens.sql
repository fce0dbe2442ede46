-- API tokens (issue 22): for machines and a city's own systems, which hold no
-- browser session. Only the SHA-256 of a token is kept (store::api_tokens); the
-- token is shown once. A machine token (machine_id set) may only report progress
-- and outages of its machine; an organisation token acts as its organisation's
-- staff through /api/v1. Revoked tokens stay listed for the record.
CREATE TABLE api_tokens (
    id {id},
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    machine_id BIGINT REFERENCES network_machines(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    last_used_at {ts},
    revoked_at {ts}
);
CREATE INDEX api_tokens_by_organisation ON api_tokens (organisation_id, id);
