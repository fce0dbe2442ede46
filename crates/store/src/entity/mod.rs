//! sea-orm entities, one per table of the migrations. Rows, not domain types: the
//! store's functions turn them into the views the rest of the platform reads.

pub mod audit_entry;
pub mod change;
pub mod city;
pub mod company;
pub mod company_capability;
pub mod event;
pub mod event_pillar;
pub mod facility;
pub mod fair;
pub mod fair_participant;
pub mod fair_request;
pub mod fiscal_entry;
pub mod initiative;
pub mod initiative_partner;
pub mod initiative_pillar;
pub mod kpi;
pub mod login_attempt;
pub mod negotiation;
pub mod negotiation_step;
pub mod network_alternative;
pub mod network_event;
pub mod network_job;
pub mod network_machine;
pub mod network_operation;
pub mod network_outage;
pub mod network_route;
pub mod organisation;
pub mod partner;
pub mod person;
pub mod person_capability;
pub mod posting;
pub mod posting_capability;
pub mod registration;
pub mod user;
