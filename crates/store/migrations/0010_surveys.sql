-- Surveys: a form of purpose `survey` sent to many companies. One invitation per
-- form and company, with an unguessable token: the answer link that acts for that
-- company on that form only, without signing in. Whether the company answered is
-- read from form_responses; the invitation keeps when the link was first opened
-- and the reminder rounds it was part of.

CREATE TABLE survey_invitations (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    token TEXT NOT NULL UNIQUE,
    sent_at {ts} NOT NULL,
    opened_at {ts},
    reminders INTEGER NOT NULL DEFAULT 0,
    reminded_at {ts},
    UNIQUE (form_id, company_id)
);
CREATE INDEX survey_invitations_by_form ON survey_invitations (form_id, id);
