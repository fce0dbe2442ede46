-- The forms engine: forms owned by one organisation, their versions (the definition
-- as JSON, frozen once answered), and one response per company and form (what was
-- typed, kept as a draft; the accepted answers once submitted).

CREATE TABLE forms (
    id {id},
    key TEXT NOT NULL UNIQUE,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    -- survey, diagnostic, application
    purpose TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Eligibility rules of a call as JSON ('' when anyone may answer).
    eligibility TEXT NOT NULL DEFAULT '',
    -- The year of the award or call the rules are judged against.
    award_year INTEGER,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);

CREATE TABLE form_versions (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at {ts} NOT NULL,
    UNIQUE (form_id, number)
);

CREATE TABLE form_responses (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version_id BIGINT NOT NULL REFERENCES form_versions(id),
    company_id BIGINT NOT NULL REFERENCES companies(id),
    -- draft, submitted
    status TEXT NOT NULL,
    -- Everything typed (RawAnswers as JSON), autosaved.
    raw TEXT NOT NULL,
    -- The accepted answers (Answers as JSON) once submitted.
    answers TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    submitted_at {ts},
    UNIQUE (form_id, company_id)
);
CREATE INDEX form_responses_by_status ON form_responses (form_id, status);
