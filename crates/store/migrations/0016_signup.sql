-- Accounts people make themselves (issue 15): a company's member registers by the
-- company's 法人番号 and the staff of the organisation keeping the company approve or
-- refuse; an individual (student, job seeker, designer, successor candidate,
-- expert) signs up and chooses the city whose office keeps their profile.
-- Both confirm their e-mail first, through a mailed link: the database keeps only
-- the SHA-256 of its token, cleared when used, so a link works once.

CREATE TABLE signup_requests (
    id {id},
    -- company | individual
    kind TEXT NOT NULL,
    -- unconfirmed | pending (company, awaiting the staff) | approved | refused | expired
    status TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The password chosen at registration (argon2id), cleared when refused.
    password_hash TEXT NOT NULL DEFAULT '',
    company_id BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    -- The organisation whose staff decide (the company's keeper; the chosen city's office).
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    -- An individual's kind of person (designer, student, …).
    person_kind TEXT NOT NULL DEFAULT '',
    token_sha256 TEXT,
    token_expires_at {ts},
    reason TEXT NOT NULL DEFAULT '',
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at {ts} NOT NULL,
    confirmed_at {ts},
    decided_at {ts}
);
CREATE UNIQUE INDEX signup_requests_by_token ON signup_requests (token_sha256);
CREATE INDEX signup_requests_by_organisation ON signup_requests (organisation_id, status);
-- One open request per address, whoever sends them at once.
CREATE UNIQUE INDEX signup_requests_one_open_per_email ON signup_requests (email)
    WHERE status IN ('unconfirmed', 'pending');

-- An individual's own profile: the account it belongs to and where its publication
-- stands ('' for records staff keep; pending | approved | refused for self-posted).
ALTER TABLE people ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE people ADD COLUMN review TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX people_by_user ON people (user_id);
