//! Integration tests of the import readers: generated NTA files read back in every
//! published variant, and staff lists written as real XLSX workbooks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod bombs;
mod list;
mod nta;

/// A fresh directory for one test's files.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import-it")
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
