-- A form's answering period (calls for applications, surveys with a deadline): the
-- first and last day answers are accepted, in Japan time, inclusive. NULL: open.
-- And the files uploaded as answers to file questions (documents of an application),
-- kept in the database so that a backup of the database is a backup of everything.

ALTER TABLE forms ADD COLUMN opens_on TEXT;
ALTER TABLE forms ADD COLUMN closes_on TEXT;

CREATE TABLE form_files (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    question_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {blob} NOT NULL,
    created_at {ts} NOT NULL
);
CREATE INDEX form_files_by_response ON form_files (form_id, company_id);
