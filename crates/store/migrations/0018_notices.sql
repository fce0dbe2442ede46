-- In-app お知らせ for every programme, and each person's choice of which
-- programmes' non-essential notices also come by mail. A notice is written in the
-- same transaction as the change it tells of (`Writing::notify`), as its mail is.
-- The applications engine's `notifications` (migration 0011) move in here.

CREATE TABLE notices (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- events | fairs | applications | negotiations | diagnostics | network | surveys | account
    programme TEXT NOT NULL,
    -- Whose programme it is (NULL for the council's platform).
    organisation_id BIGINT REFERENCES organisations(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    -- A path on the platform (`/fairs/...`), never an absolute address.
    link TEXT NOT NULL DEFAULT '',
    essential BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {ts} NOT NULL,
    read_at {ts}
);
CREATE INDEX notices_by_user ON notices (user_id, read_at, id);

INSERT INTO notices (user_id, programme, title, body, link, essential, created_at, read_at)
SELECT user_id, 'applications', message, '', path, FALSE, created_at, read_at
FROM notifications ORDER BY id;

DROP TABLE notifications;

-- Absent row: mail on (the default). Essential notices ignore it.
CREATE TABLE notice_preferences (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    programme TEXT NOT NULL,
    by_mail BOOLEAN NOT NULL,
    updated_at {ts} NOT NULL,
    PRIMARY KEY (user_id, programme)
);

-- The follow-up pass (`notices::diagnostics::followups_due`) claims a follow-up by
-- setting this in the transaction that writes its notice, so two processes never
-- both tell a company the same follow-up is due.
ALTER TABLE diagnosis_followups ADD COLUMN due_noticed_at {ts};
