-- Sign-in hardening (issue 21).
-- Devices a user has signed in from (OWASP's "device cookies"): the browser keeps a
-- random token in a cookie, the database only its SHA-256. Failed logins from a
-- known device count against that device, so an attacker's failures elsewhere do not
-- lock the owner out of the account.
-- A user's session generation: sessions remember the generation they signed in
-- with, and a password change moves it on, which ends every other session at once
-- in every server process.

CREATE TABLE login_devices (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL,
    created_at {ts} NOT NULL,
    last_used_at {ts} NOT NULL
);
CREATE UNIQUE INDEX login_devices_by_user_token ON login_devices (user_id, token_sha256);

-- The known device a failed attempt came from (NULL: an unknown device).
ALTER TABLE login_attempts ADD COLUMN device_id BIGINT;
CREATE INDEX login_attempts_by_device ON login_attempts (device_id, at);

ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
