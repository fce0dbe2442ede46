-- Diagnostics: follow-up records of a diagnosed company, kept by the staff of the
-- organisation that runs the diagnostic (with the partner bank or adviser involved).
-- Share offices: offices per city, their member companies, and visits booked by a
-- member of one office at another city's office (requested, approved or declined).
-- Forms: how long submitted survey answers are kept (days; NULL keeps them).

CREATE TABLE diagnosis_followups (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    recorded_by BIGINT REFERENCES users(id),
    -- 面談, 電話, 訪問, 専門家派遣, 融資相談 …
    kind TEXT NOT NULL,
    -- The partner bank or adviser involved ('' for none).
    partner TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL,
    next_action TEXT NOT NULL DEFAULT '',
    next_on TEXT,
    happened_on TEXT NOT NULL,
    created_at {ts} NOT NULL
);
CREATE INDEX diagnosis_followups_by_company ON diagnosis_followups (form_id, company_id);

CREATE TABLE share_offices (
    id {id},
    key TEXT NOT NULL UNIQUE,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    city_id BIGINT NOT NULL REFERENCES cities(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL
);

CREATE TABLE share_office_members (
    id {id},
    office_id BIGINT NOT NULL REFERENCES share_offices(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    UNIQUE (office_id, company_id)
);

CREATE TABLE share_office_visits (
    id {id},
    office_id BIGINT NOT NULL REFERENCES share_offices(id),
    home_office_id BIGINT NOT NULL REFERENCES share_offices(id),
    company_id BIGINT NOT NULL REFERENCES companies(id),
    visit_on TEXT NOT NULL,
    days INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    -- requested, approved, declined
    status TEXT NOT NULL,
    requested_by BIGINT REFERENCES users(id),
    decided_by BIGINT REFERENCES users(id),
    decided_at {ts},
    decision_note TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL
);
CREATE INDEX share_office_visits_by_office ON share_office_visits (office_id, status);

ALTER TABLE forms ADD COLUMN retention_days INTEGER;
