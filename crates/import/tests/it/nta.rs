use std::collections::{HashMap, HashSet};

use import::Encoding;
use import::nta::{self, GenerateOptions, NtaRecord, Process, Reader};

const VARIANTS: [(Encoding, bool); 4] = [
    (Encoding::Utf8, false),
    (Encoding::Utf8, true),
    (Encoding::ShiftJis, false),
    (Encoding::ShiftJis, true),
];

fn generated(options: &GenerateOptions) -> (Vec<u8>, nta::GenerateSummary) {
    let mut bytes = Vec::new();
    let summary = nta::generate_with(&mut bytes, options).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    (bytes, summary)
}

/// Applies rows as an importer would: upsert by number, in file order.
fn apply(state: &mut HashMap<String, NtaRecord>, records: &[NtaRecord]) {
    for record in records {
        state.insert(record.corporate_number.to_string(), record.clone());
    }
}

#[test]
fn every_published_variant_reads_back_what_was_generated() {
    for (encoding, zip) in VARIANTS {
        let options = GenerateOptions {
            encoding,
            zip,
            malformed_fraction: 0.02,
            ..GenerateOptions::new(3_000, 2024)
        };
        let (bytes, summary) = generated(&options);
        assert_eq!(bytes.starts_with(b"PK\x03\x04"), zip);

        let mut reader = Reader::from_bytes(&bytes, None).unwrap();
        let mut records = Vec::new();
        let mut errors = Vec::new();
        for row in reader.by_ref() {
            match row {
                Ok(record) => records.push(record),
                Err(error) => errors.push(error),
            }
        }
        assert_eq!(reader.encoding(), Some(encoding), "{encoding:?} zip={zip}");
        assert!(!summary.malformed.is_empty());
        assert_eq!(records.len() + errors.len(), 3_000);
        let expected: Vec<(u64, &str)> = summary
            .malformed
            .iter()
            .map(|m| (m.line, m.malformation.expected_code()))
            .collect();
        let found: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.code())).collect();
        assert_eq!(found, expected, "{encoding:?} zip={zip}");

        let numbers: HashSet<&str> = records
            .iter()
            .map(|r| r.corporate_number.as_str())
            .collect();
        assert_eq!(numbers.len() as u64, summary.companies);
        assert_eq!(
            records.iter().filter(|r| r.is_closed()).count() as u64,
            summary.closed
        );
        assert_eq!(
            records
                .iter()
                .filter(|r| matches!(
                    r.process,
                    Process::NameChanged | Process::DomesticAddressChanged
                ))
                .count() as u64,
            summary.updates
        );
        let seven: HashSet<&str> = [
            "112038", "131075", "131113", "202045", "172065", "272272", "282022",
        ]
        .into();
        let in_seven = records
            .iter()
            .filter(|r| {
                r.local_gov_code()
                    .is_some_and(|c| seven.contains(c.as_str()))
            })
            .count() as u64;
        assert_eq!(in_seven, summary.in_seven_cities);
        assert!(in_seven > 1_000, "{in_seven}");
    }
}

#[test]
fn shift_jis_and_utf8_files_of_one_seed_hold_the_same_records() {
    let read = |encoding, zip| -> Vec<NtaRecord> {
        let options = GenerateOptions {
            encoding,
            zip,
            ..GenerateOptions::new(500, 9)
        };
        let (bytes, _) = generated(&options);
        Reader::from_bytes(&bytes, None)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let utf8 = read(Encoding::Utf8, false);
    assert_eq!(read(Encoding::ShiftJis, false), utf8);
    assert_eq!(read(Encoding::ShiftJis, true), utf8);
    assert_eq!(read(Encoding::Utf8, true), utf8);
}

#[test]
fn an_explicit_encoding_reads_like_detection() {
    let options = GenerateOptions {
        encoding: Encoding::ShiftJis,
        ..GenerateOptions::new(200, 5)
    };
    let (bytes, _) = generated(&options);
    let detected: Vec<_> = Reader::from_bytes(&bytes, None).unwrap().collect();
    let explicit: Vec<_> = Reader::from_bytes(&bytes, Some(Encoding::ShiftJis))
        .unwrap()
        .collect();
    assert_eq!(detected, explicit);
    // Told the wrong encoding, every row with Japanese text is refused, none garbled.
    let wrong: Vec<_> = Reader::from_bytes(&bytes, Some(Encoding::Utf8))
        .unwrap()
        .collect();
    assert!(
        wrong
            .iter()
            .all(|r| r.as_ref().is_err_and(|e| e.code() == "encoding"))
    );
}

#[test]
fn updates_of_one_number_reimport_to_the_same_state() {
    let (bytes, summary) = generated(&GenerateOptions {
        update_fraction: 0.3,
        ..GenerateOptions::new(2_000, 77)
    });
    assert!(summary.updates > 100, "{}", summary.updates);
    let records: Vec<NtaRecord> = Reader::from_bytes(&bytes, None)
        .unwrap()
        .map(Result::unwrap)
        .collect();

    let mut once = HashMap::new();
    apply(&mut once, &records);
    let mut twice = once.clone();
    apply(&mut twice, &records);
    assert_eq!(once, twice);
    assert_eq!(once.len() as u64, summary.companies);
    // The row that wins for each number is its newest, and it says so.
    assert!(once.values().all(|r| r.latest));
    // Each updated number appears first as a superseded row, later as the newest.
    let mut seen: HashMap<&str, Vec<&NtaRecord>> = HashMap::new();
    for record in &records {
        seen.entry(record.corporate_number.as_str())
            .or_default()
            .push(record);
    }
    let updated: Vec<&Vec<&NtaRecord>> = seen.values().filter(|rows| rows.len() > 1).collect();
    assert_eq!(updated.len() as u64, summary.updates);
    for rows in updated {
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].latest && rows[1].latest);
        assert!(rows[0].sequence_number < rows[1].sequence_number);
        assert!(rows[0].update_date < rows[1].update_date);
        assert!(matches!(
            rows[1].process,
            Process::NameChanged | Process::DomesticAddressChanged
        ));
    }
}

#[test]
fn closed_companies_carry_a_date_and_a_cause() {
    let (bytes, summary) = generated(&GenerateOptions {
        closed_fraction: 0.5,
        ..GenerateOptions::new(1_000, 3)
    });
    let closed: Vec<NtaRecord> = Reader::from_bytes(&bytes, None)
        .unwrap()
        .map(Result::unwrap)
        .filter(NtaRecord::is_closed)
        .collect();
    assert_eq!(closed.len() as u64, summary.closed);
    assert!(closed.len() > 400);
    for record in &closed {
        let close_date = record.close_date.unwrap();
        assert!(record.close_cause.is_some());
        assert!(close_date > record.assignment_date.unwrap());
        if record.process == Process::AbsorbedInMerger {
            assert!(record.successor.is_some());
        }
    }
    assert!(
        closed
            .iter()
            .any(|r| r.process == Process::AbsorbedInMerger)
    );
}

#[test]
fn files_on_disk_are_read_by_path() {
    let dir = crate::scratch_dir("nta-path");
    for (encoding, zip) in VARIANTS {
        let path = dir.join(format!("{encoding:?}-{zip}.dat"));
        let file = std::fs::File::create(&path).unwrap();
        nta::generate(file, 300, 1, encoding, zip).unwrap();
        let rows: Vec<_> = Reader::open(&path, None, &import::Budget::UPLOAD)
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 300);
        assert!(rows.iter().all(Result::is_ok));
    }
}

#[test]
fn a_damaged_zip_is_an_error_not_a_panic() {
    let (bytes, _) = generated(&GenerateOptions {
        zip: true,
        ..GenerateOptions::new(2_000, 4)
    });
    // Cut short: the central directory is gone.
    let cut = &bytes[..bytes.len() / 2];
    assert_eq!(Reader::from_bytes(cut, None).err().unwrap().code(), "zip");
    // A byte flipped inside the compressed data: rows until the damage, then one
    // unreadable error, then nothing.
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let rows: Vec<_> = Reader::from_bytes(&flipped, None).unwrap().collect();
    let last = rows.last().unwrap();
    assert!(
        last.as_ref()
            .is_err_and(|e| e.is_fatal() || e.code() != "unreadable"),
        "{last:?}"
    );
    assert!(
        rows.iter()
            .filter(|r| r.as_ref().is_err_and(|e| e.is_fatal()))
            .count()
            <= 1
    );
    // Every position flipped in turn on a small file: never a panic.
    let (small, _) = generated(&GenerateOptions {
        zip: true,
        ..GenerateOptions::new(20, 4)
    });
    for i in 0..small.len() {
        let mut damaged = small.clone();
        damaged[i] ^= 0xFF;
        if let Ok(reader) = Reader::from_bytes(&damaged, None) {
            for _ in reader {}
        }
    }
}

#[test]
fn a_zip_without_a_csv_name_still_opens_its_only_file() {
    use std::io::Write;
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    zip.start_file("data.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    let mut csv = Vec::new();
    nta::generate(&mut csv, 10, 1, Encoding::Utf8, false).unwrap();
    zip.write_all(&csv).unwrap();
    zip.finish().unwrap();
    let rows: Vec<_> = Reader::from_bytes(buffer.get_ref(), None)
        .unwrap()
        .collect();
    assert_eq!(rows.len(), 10);

    let mut empty = std::io::Cursor::new(Vec::new());
    zip::ZipWriter::new(&mut empty).finish().unwrap();
    assert_eq!(
        Reader::from_bytes(empty.get_ref(), None)
            .err()
            .unwrap()
            .code(),
        "no_csv_in_zip"
    );
}

/// Throughput of generate and read for a million rows; run with
/// `cargo test --release -p import -- --ignored --nocapture a_million`.
#[test]
#[ignore]
fn a_million_rows_generate_and_read() {
    let dir = crate::scratch_dir("bench");
    for (encoding, zip) in VARIANTS {
        let result = import::bench::bench(1_000_000, encoding, zip, &dir).unwrap();
        println!(
            "{:>9} zip={:<5} {:>6.1} MB  generate {:>9.0} rows/s  read {:>9.0} rows/s  ({} accepted, {} refused)",
            encoding.label(),
            zip,
            result.bytes as f64 / 1e6,
            result.generate_rows_per_second(),
            result.read_rows_per_second(),
            result.accepted,
            result.refused,
        );
        assert_eq!(result.accepted + result.refused, 1_000_000);
    }
}
