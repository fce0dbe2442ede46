-- Applications to calls (募集): a call's settings (what it grants, what an approval
-- publishes, the subsidy limit) and its reviewers; one application per submitted
-- response of an application form, with every status change, one review per
-- reviewer, in-app notifications, and the public registry of approved
-- certifications and awards.

CREATE TABLE calls (
    id {id},
    form_id BIGINT NOT NULL UNIQUE REFERENCES forms(id) ON DELETE CASCADE,
    -- certification, award, subsidy
    kind TEXT NOT NULL,
    -- product, technique, award ('' when chosen by category_question or a subsidy)
    registry_kind TEXT NOT NULL DEFAULT '',
    category_question TEXT NOT NULL DEFAULT '',
    title_question TEXT NOT NULL DEFAULT '',
    summary_question TEXT NOT NULL DEFAULT '',
    -- A subsidy's upper limit per application, in yen.
    amount_limit BIGINT,
    updated_at {ts} NOT NULL
);

CREATE TABLE call_reviewers (
    call_id BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (call_id, user_id)
);

CREATE TABLE applications (
    id {id},
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    response_id BIGINT NOT NULL UNIQUE REFERENCES form_responses(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    -- submitted, in_review, returned, approved, rejected
    status TEXT NOT NULL,
    -- The approved amount of a subsidy, in yen.
    amount BIGINT,
    -- Who last submitted it (a member, or staff entering it for the company).
    submitted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    decided_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    decided_by_email TEXT NOT NULL DEFAULT '',
    decided_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX applications_by_form ON applications (form_id, status);
CREATE INDEX applications_by_company ON applications (company_id);

CREATE TABLE application_transitions (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    -- '' for the first submission.
    from_status TEXT NOT NULL DEFAULT '',
    to_status TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    user_email TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    at {ts} NOT NULL
);
CREATE INDEX application_transitions_by_application ON application_transitions (application_id);

CREATE TABLE application_reviews (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_email TEXT NOT NULL,
    -- 0 to 100.
    score INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    UNIQUE (application_id, user_id)
);

CREATE TABLE notifications (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at {ts} NOT NULL,
    read_at {ts}
);
CREATE INDEX notifications_by_user ON notifications (user_id, read_at);

CREATE TABLE registry_entries (
    id {id},
    slug TEXT NOT NULL UNIQUE,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id) ON DELETE CASCADE,
    form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    -- product, technique, award
    kind TEXT NOT NULL,
    -- The programme's word for it (「i-mono（製品）」, 「100年企業」).
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- The award or certification year.
    year INTEGER NOT NULL,
    approved_at {ts} NOT NULL
);
CREATE INDEX registry_entries_by_kind ON registry_entries (kind, year);
