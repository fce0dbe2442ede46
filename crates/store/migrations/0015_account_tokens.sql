-- Accounts people recover and are invited to (issue 15): mailed single-use links.
-- Only the SHA-256 of a link's token is stored (store::tokens), never the token.

-- A password reset: valid 30 minutes, used once.
CREATE TABLE password_resets (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    used_at {ts}
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Every request of a reset link, whether or not the address has an account: the
-- per-address and per-client limits count these, so the limit says nothing about
-- which addresses exist.
CREATE TABLE password_reset_requests (
    id {id},
    email TEXT NOT NULL,
    client TEXT NOT NULL DEFAULT '',
    at {ts} NOT NULL
);
CREATE INDEX password_reset_requests_by_email ON password_reset_requests (email, at);
CREATE INDEX password_reset_requests_by_client ON password_reset_requests (client, at);

-- An invitation to an account: the role, organisation and (for company members)
-- company are fixed by the staff member who sent it; the invitee chooses a name
-- and a password. Valid 7 days, used once, revocable while pending.
CREATE TABLE invitations (
    id {id},
    token_sha256 TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    company_id BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    invited_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    accepted_at {ts},
    revoked_at {ts},
    -- The account the invitation became.
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX invitations_by_organisation ON invitations (organisation_id, id);
CREATE INDEX invitations_by_email ON invitations (email);
