//! renkei's domain: the types and rules of the council's programmes, with no HTTP,
//! no SQL and no I/O. Everything that must be right regardless of how it is stored
//! or shown lives here: fiscal years and Japanese eras, 法人番号 and 全国地方公共団体コード
//! check digits, the three pillars of the 尼崎宣言, who may change what, and the
//! validation of what people type into the catalogue.

pub mod access;
pub mod applications;
pub mod catalogue;
pub mod codes;
pub mod directory;
pub mod documents;
pub mod error;
pub mod events;
pub mod fairs;
pub mod fiscal_year;
pub mod forms;
pub mod groups;
pub mod holidays;
pub mod network;
pub mod open_factory;
pub mod pillar;
pub mod places;
pub mod text;
pub mod time;

pub use access::{Actor, Role};
pub use catalogue::{EntryStatus, KpiDraft, KpiValue};
pub use codes::{CorporateNumber, LocalGovCode};
pub use error::Invalid;
pub use fiscal_year::{Era, FiscalYear, Wareki};
pub use pillar::Pillar;
