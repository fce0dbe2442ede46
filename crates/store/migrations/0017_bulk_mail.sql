-- Mail to many people: survey invitations and reminders, the weekly digest.
-- A bulk message names its list and carries its own unsubscribe token (RFC 8058
-- one-click: the sender puts the link in List-Unsubscribe); an unsubscribe is a
-- suppression of one address for one list, honoured before any later bulk message
-- of that list to that address is queued.

ALTER TABLE mail_messages ADD COLUMN list_name TEXT;
ALTER TABLE mail_messages ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX mail_messages_unsubscribe_token ON mail_messages (unsubscribe_token);
CREATE INDEX mail_messages_by_list ON mail_messages (list_name, recipient_email, status);

CREATE TABLE mail_suppressions (
    id {id},
    -- Lower-cased and trimmed.
    email TEXT NOT NULL,
    -- The list's code: `survey.<organisation key>`, `digest`.
    list_name TEXT NOT NULL,
    created_at {ts} NOT NULL,
    CONSTRAINT mail_suppressions_unique UNIQUE (email, list_name)
);

-- The weekly digest of upcoming events: anyone may subscribe, confirmed by a
-- mailed link (double opt-in). The confirmation token is stored as its SHA-256;
-- the choice waiting for confirmation is kept apart from the confirmed one, so that
-- a stranger typing someone's address changes nothing until the owner confirms.
CREATE TABLE digest_subscriptions (
    id {id},
    email TEXT NOT NULL,
    -- pending | confirmed | unsubscribed
    status TEXT NOT NULL,
    -- Comma-separated city keys and pillar numbers; empty means all.
    cities TEXT NOT NULL DEFAULT '',
    pillars TEXT NOT NULL DEFAULT '',
    pending_cities TEXT NOT NULL DEFAULT '',
    pending_pillars TEXT NOT NULL DEFAULT '',
    confirm_hash TEXT,
    confirm_expires_at {ts},
    confirm_sent_at {ts},
    created_at {ts} NOT NULL,
    confirmed_at {ts},
    updated_at {ts} NOT NULL,
    CONSTRAINT digest_subscriptions_email UNIQUE (email)
);
CREATE UNIQUE INDEX digest_subscriptions_confirm ON digest_subscriptions (confirm_hash);

-- One row per ISO week whose digest was queued: the claim that keeps two processes
-- (or a process and `renkei digest send`) from sending one week twice.
CREATE TABLE digest_rounds (
    id {id},
    week TEXT NOT NULL,
    mails BIGINT NOT NULL,
    created_at {ts} NOT NULL,
    CONSTRAINT digest_rounds_week UNIQUE (week)
);
