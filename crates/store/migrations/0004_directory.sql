-- The company directory, people and facilities, needs and offers, and negotiations (商談).
-- A company is looked after by one organisation (its city's office, or the council for
-- companies outside the seven cities); company members are users with a company_id.

CREATE TABLE companies (
    id {id},
    key TEXT NOT NULL UNIQUE,
    corporate_number TEXT UNIQUE,
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    city_id BIGINT REFERENCES cities(id),
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    prefecture TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    industry TEXT,
    employees INTEGER,
    founded_year INTEGER,
    representative_age TEXT,
    url TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    products TEXT NOT NULL DEFAULT '',
    public BOOLEAN NOT NULL DEFAULT TRUE,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    staff_note TEXT NOT NULL DEFAULT '',
    closed_on TEXT,
    close_cause TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    nta_updated_on TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX companies_by_city ON companies (city_id, kana);
CREATE INDEX companies_by_owner ON companies (owner_organisation_id);

CREATE TABLE company_capabilities (
    company_id BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (company_id, code)
);
CREATE INDEX company_capabilities_by_code ON company_capabilities (code);

ALTER TABLE users ADD COLUMN company_id BIGINT REFERENCES companies(id);

CREATE TABLE people (
    id {id},
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    affiliation TEXT NOT NULL DEFAULT '',
    city_id BIGINT REFERENCES cities(id),
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    profile TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    public BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);

CREATE TABLE person_capabilities (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (person_id, code)
);

CREATE TABLE facilities (
    id {id},
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    city_id BIGINT NOT NULL REFERENCES cities(id),
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    address TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    capacity INTEGER,
    public BOOLEAN NOT NULL DEFAULT TRUE
);

-- Needs (someone looks for…) and offers (someone can do…): one table, `side` tells.
CREATE TABLE postings (
    id {id},
    key TEXT NOT NULL UNIQUE,
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    poster_name TEXT NOT NULL DEFAULT '',
    company_id BIGINT REFERENCES companies(id),
    person_id BIGINT REFERENCES people(id),
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    city_id BIGINT REFERENCES cities(id),
    size_preference TEXT,
    prefer_other_cities BOOLEAN NOT NULL DEFAULT TRUE,
    deadline TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    public BOOLEAN NOT NULL DEFAULT TRUE,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX postings_by_status ON postings (side, status, kind);

CREATE TABLE posting_capabilities (
    posting_id BIGINT NOT NULL REFERENCES postings(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (posting_id, code)
);

-- A negotiation between the side that needs (buyer) and the side that offers
-- (a company, a person, or an offer posting), with its stages in negotiation_steps.
CREATE TABLE negotiations (
    id {id},
    key TEXT NOT NULL UNIQUE,
    posting_id BIGINT REFERENCES postings(id),
    buyer_company_id BIGINT REFERENCES companies(id),
    buyer_name TEXT NOT NULL DEFAULT '',
    supplier_company_id BIGINT REFERENCES companies(id),
    supplier_person_id BIGINT REFERENCES people(id),
    supplier_name TEXT NOT NULL DEFAULT '',
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount {real},
    started_on TEXT NOT NULL,
    updated_on TEXT NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX negotiations_by_owner ON negotiations (owner_organisation_id, stage);

CREATE TABLE negotiation_steps (
    id {id},
    negotiation_id BIGINT NOT NULL REFERENCES negotiations(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    on_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    user_email TEXT NOT NULL DEFAULT '',
    at {ts} NOT NULL
);
CREATE INDEX negotiation_steps_by_negotiation ON negotiation_steps (negotiation_id, id);
