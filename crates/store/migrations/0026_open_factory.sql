-- Events spread over many sites (おおたオープンファクトリー): each site is a factory of
-- the directory with its programme (工場見学, 体験) and address; each site offers tour
-- slots (見学枠) with a capacity. Visitors register for a slot through the event's
-- registrations (tour_id set), so the capacity and waiting-list rules are the same;
-- a visitor may take slots at several sites, once per slot.
-- Times are local wall-clock times in Asia/Tokyo, 'YYYY-MM-DDTHH:MM', as for events.

CREATE TABLE event_sites (
    id {id},
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    programme TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    created_at {ts} NOT NULL
);
CREATE UNIQUE INDEX event_sites_one_per_company ON event_sites (event_id, company_id);

CREATE TABLE event_tours (
    id {id},
    site_id BIGINT NOT NULL REFERENCES event_sites(id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0)
);
CREATE INDEX event_tours_by_site ON event_tours (site_id, starts_at);

ALTER TABLE event_registrations ADD COLUMN tour_id BIGINT REFERENCES event_tours(id) ON DELETE CASCADE;
DROP INDEX event_registrations_one_per_email;
CREATE UNIQUE INDEX event_registrations_one_per_email ON event_registrations (event_id, email) WHERE status <> 'cancelled' AND tour_id IS NULL;
CREATE UNIQUE INDEX event_registrations_one_per_tour ON event_registrations (tour_id, email) WHERE status <> 'cancelled' AND tour_id IS NOT NULL;
CREATE INDEX event_registrations_by_tour ON event_registrations (tour_id, status, id);
