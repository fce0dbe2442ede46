//! Throughput of the NTA generator and reader, for BENCHMARKS.md and `renkei bench`:
//! generate a file of `rows` rows into `dir`, read it back, and time both.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use crate::Encoding;
use crate::error::OpenError;
use crate::nta;

/// Timings of one generate-and-read run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    pub rows: u64,
    pub bytes: u64,
    pub generate_seconds: f64,
    pub read_seconds: f64,
    /// Rows the reader accepted and refused.
    pub accepted: u64,
    pub refused: u64,
}

impl BenchResult {
    pub fn generate_rows_per_second(&self) -> f64 {
        self.rows as f64 / self.generate_seconds.max(f64::EPSILON)
    }

    pub fn read_rows_per_second(&self) -> f64 {
        self.rows as f64 / self.read_seconds.max(f64::EPSILON)
    }
}

/// Generates `rows` rows (1% malformed) into a file in `dir`, then reads it.
pub fn bench(
    rows: u64,
    encoding: Encoding,
    zip: bool,
    dir: &Path,
) -> Result<BenchResult, OpenError> {
    let path = dir.join(if zip {
        "nta-bench.zip"
    } else {
        "nta-bench.csv"
    });
    let options = nta::GenerateOptions {
        encoding,
        zip,
        malformed_fraction: 0.01,
        ..nta::GenerateOptions::new(rows, 42)
    };
    let started = Instant::now();
    let summary = nta::generate_with(BufWriter::new(File::create(&path)?), &options)?;
    let generate_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for row in nta::Reader::open(&path, None, &crate::Budget::COMMAND_LINE_NTA)? {
        match row {
            Ok(_) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    let read_seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(BenchResult {
        rows,
        bytes: summary.bytes,
        generate_seconds,
        read_seconds,
        accepted,
        refused,
    })
}
