-- Two-step sign-in (issue 22): a TOTP secret (RFC 6238) per enrolled account, its
-- single-use recovery codes, the wrong codes that lock two-step sign-in, and the
-- organisation's setting that makes it required for its staff.

-- The shared secret (base32), stored only once the owner confirmed it with a code.
-- `last_step` is the last 30-second step whose code was accepted: a code is good
-- once, so one seen over a shoulder cannot be replayed within its minute.
CREATE TABLE two_step_secrets (
    id {id},
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enrolled_at {ts} NOT NULL,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- Ten per enrolment, shown once; only their SHA-256 is kept (they are random,
-- 80 bits each). A code is used up by a conditional UPDATE of `used_at`.
CREATE TABLE two_step_recovery_codes (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_sha256 TEXT NOT NULL UNIQUE,
    used_at {ts}
);
CREATE INDEX two_step_recovery_codes_by_user ON two_step_recovery_codes (user_id);

-- Wrong codes since the last good one; five within 15 minutes lock two-step
-- sign-in of the account for 15 minutes from the fifth.
CREATE TABLE two_step_failures (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client TEXT NOT NULL DEFAULT '',
    at {ts} NOT NULL
);
CREATE INDEX two_step_failures_by_user ON two_step_failures (user_id, at);

-- Switched on by the organisation's staff or the secretariat: its staff must
-- enrol before doing anything else (the secretariat always must, see `serve`).
ALTER TABLE organisations ADD COLUMN two_step_required BOOLEAN NOT NULL DEFAULT FALSE;
