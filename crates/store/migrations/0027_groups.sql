-- Groups of companies and partners across cities (加賀ものづくり企業域外ネットワーク,
-- 東大阪市の研究会 with 大阪大学医学部): kept by one organisation's staff; members are
-- companies of the directory, organisations of the council (their staff take part)
-- and partners named in the document; a need or seed shared to the group reaches its
-- members (in-app notice and mail); meetings are events of the shared calendar.

CREATE TABLE company_groups (
    id {id},
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);

CREATE TABLE company_group_members (
    id {id},
    group_id BIGINT NOT NULL REFERENCES company_groups(id) ON DELETE CASCADE,
    company_id BIGINT REFERENCES companies(id),
    organisation_id BIGINT REFERENCES organisations(id),
    partner_id BIGINT REFERENCES partners(id),
    joined_at {ts} NOT NULL
);
CREATE UNIQUE INDEX company_group_members_company ON company_group_members (group_id, company_id) WHERE company_id IS NOT NULL;
CREATE UNIQUE INDEX company_group_members_organisation ON company_group_members (group_id, organisation_id) WHERE organisation_id IS NOT NULL;
CREATE UNIQUE INDEX company_group_members_partner ON company_group_members (group_id, partner_id) WHERE partner_id IS NOT NULL;

CREATE TABLE company_group_shares (
    id {id},
    group_id BIGINT NOT NULL REFERENCES company_groups(id) ON DELETE CASCADE,
    posting_id BIGINT NOT NULL REFERENCES postings(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    shared_by TEXT NOT NULL,
    shared_at {ts} NOT NULL
);
CREATE UNIQUE INDEX company_group_shares_once ON company_group_shares (group_id, posting_id);

CREATE TABLE company_group_meetings (
    group_id BIGINT NOT NULL REFERENCES company_groups(id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, event_id)
);
