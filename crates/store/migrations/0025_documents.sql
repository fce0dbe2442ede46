-- The documents library (issue 19, item 4): 啓発冊子, 協定書, seminar materials, the
-- 尼崎宣言. A document is public or for signed-in members only, may belong to an
-- initiative and an event, and keeps every version uploaded (a new upload of the same
-- document is a new version; older ones stay listed and downloadable).
-- source: '' for documents staff uploaded; 'seed' for the demonstration data's.

CREATE TABLE documents (
    id {id},
    key TEXT NOT NULL UNIQUE,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    -- booklet, agreement, seminar, declaration, other
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- public, members
    visibility TEXT NOT NULL,
    initiative_id BIGINT REFERENCES initiatives(id) ON DELETE SET NULL,
    event_id BIGINT REFERENCES events(id) ON DELETE SET NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX documents_by_initiative ON documents (initiative_id);

CREATE TABLE document_versions (
    id {id},
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {blob} NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    uploaded_by TEXT NOT NULL,
    created_at {ts} NOT NULL,
    UNIQUE (document_id, number)
);
