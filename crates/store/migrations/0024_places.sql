-- Districts and industrial sites (issue 19, item 3): each city's register of the
-- districts it designates (東大阪市の工業保全型特別用途地区・地区計画) and of the
-- industrial sites it offers (工場誘致), kept by that city's staff; and the enquiries
-- companies send about a site, tracked in dated steps like a negotiation
-- (received → answered → visit → contracted | declined).
-- source: '' for records staff entered; 'seed' for the demonstration data's invented
-- sites (shown 「デモ」, never counted into the council's figures).

CREATE TABLE districts (
    id {id},
    key TEXT NOT NULL UNIQUE,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    city_id BIGINT NOT NULL REFERENCES cities(id),
    name TEXT NOT NULL,
    -- special_use, district_plan, other
    kind TEXT NOT NULL,
    rules TEXT NOT NULL DEFAULT '',
    designated_on TEXT,
    designated_fy INTEGER,
    documents_url TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);

CREATE TABLE industrial_sites (
    id {id},
    key TEXT NOT NULL UNIQUE,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    city_id BIGINT NOT NULL REFERENCES cities(id),
    district_id BIGINT REFERENCES districts(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    area_m2 {real} NOT NULL,
    zoning TEXT NOT NULL,
    -- sale, rent, either
    tenure TEXT NOT NULL,
    price_note TEXT NOT NULL DEFAULT '',
    incentives TEXT NOT NULL DEFAULT '',
    lat {real},
    lon {real},
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    source TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX industrial_sites_by_city ON industrial_sites (city_id);

CREATE TABLE site_enquiries (
    id {id},
    key TEXT NOT NULL UNIQUE,
    site_id BIGINT NOT NULL REFERENCES industrial_sites(id),
    company_id BIGINT NOT NULL REFERENCES companies(id),
    requested_by BIGINT REFERENCES users(id),
    message TEXT NOT NULL,
    -- received, answered, visit, contracted, declined
    stage TEXT NOT NULL,
    started_on TEXT NOT NULL,
    updated_on TEXT NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX site_enquiries_by_site ON site_enquiries (site_id);

CREATE TABLE site_enquiry_steps (
    id {id},
    enquiry_id BIGINT NOT NULL REFERENCES site_enquiries(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    on_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    user_email TEXT NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX site_enquiry_steps_by_enquiry ON site_enquiry_steps (enquiry_id);
