//! Readers for the files the council imports, and nothing else: no database, no HTTP.
//! Two company sources:
//!
//! - [`nta`]: the National Tax Agency's corporate-number bulk files (法人番号公表サイト
//!   基本3情報ダウンロード, 全件データ and 差分データ), in Shift_JIS or Unicode, plain CSV or
//!   ZIP; plus [`nta::generate`], a deterministic generator of realistic files of any
//!   size for tests and benchmarks.
//! - [`list`]: the company lists staff keep in Excel or CSV, with Japanese headers and
//!   their usual aliases.
//!
//! Both stream: a file of millions of rows is read one row at a time, and every row
//! comes back as either a typed record or a [`RowError`] that says in Japanese, with the
//! line number and a stable machine code, why it was refused, for the rejected-rows
//! report. No input makes these readers panic; each reader has a constructor that takes
//! `&[u8]` so that a fuzz target can call it (`fuzz/` at the repository root).
//!
//! Beside them, for the 仲間まわし network's uploads: [`text`] decodes a small text file,
//! and [`network`] reads the job CSV into one job input per job.

mod archive;
pub mod bench;
pub mod bombs;
pub mod budget;
mod error;
pub mod list;
pub mod network;
pub mod nta;
mod source;
pub mod text;

pub use budget::Budget;
pub use error::{OpenError, RowError, RowErrorKind};
pub use source::Encoding;
