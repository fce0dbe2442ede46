//! A staff company list read as an XLSX workbook from arbitrary bytes (seeded with real
//! workbooks written by rust_xlsxwriter). Every row is read; a panic in the caller or a
//! hang is a finding.
//!
//! The reader runs calamine on a worker thread and reports a panic there as an
//! unreadable file (see `import::list::xlsx`). libFuzzer's panic hook would abort the
//! process on that contained panic, so the hook is replaced for that one thread: it
//! prints the panic, counted in the run's log as a calamine defect, and lets the
//! thread unwind as it does in production. A panic anywhere else still aborts.

#![no_main]

use import::list::{self, ListFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        let aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some("import-xlsx") {
                eprintln!("contained panic in the XLSX worker (calamine): {info}");
            } else {
                aborting(info);
            }
        }));
    },
    |data: &[u8]| {
        let reader = match list::from_bytes(data, ListFormat::Xlsx) {
            Ok(reader) => reader,
            Err(error) => {
                let _ = (error.to_string(), error.code());
                return;
            }
        };
        let _ = reader.unknown_headers().len();
        for row in reader {
            match row {
                Ok(company) => {
                    for warning in &company.warnings {
                        let _ = warning.to_string();
                    }
                }
                Err(error) => {
                    let _ = (error.to_string(), error.code(), error.column());
                }
            }
        }
    }
);
