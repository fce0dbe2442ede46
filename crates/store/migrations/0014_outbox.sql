-- The mail outbox: every message is a row written in the same transaction as the
-- change that causes it; the sender in each `renkei serve` process delivers from
-- here. Times the sender compares (next attempt, lease) are Unix milliseconds, so
-- that both backends compare numbers rather than text.

CREATE TABLE mail_messages (
    id {id},
    -- The Message-ID header, kept across retries (so a retried delivery that the
    -- server had in fact accepted is recognisably the same message).
    message_id TEXT NOT NULL UNIQUE,
    -- Whose programme sends it: its staff see it; NULL for the council's platform.
    organisation_id BIGINT REFERENCES organisations(id) ON DELETE SET NULL,
    sender_name TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    recipient_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    -- An iCalendar attachment (METHOD:REQUEST or CANCEL), if any.
    ics TEXT,
    -- transactional | bulk (bulk will carry List-Unsubscribe).
    kind TEXT NOT NULL,
    -- queued | sending | sent | failed
    status TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- While `sending`: the claim's secret and when the claim lapses (a sender killed
    -- mid-send leaves the row to be claimed again after this time).
    claim TEXT,
    lease_until BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    sent_at {ts}
);
CREATE INDEX mail_messages_due ON mail_messages (status, next_attempt_at);
CREATE INDEX mail_messages_by_organisation ON mail_messages (organisation_id, id);
