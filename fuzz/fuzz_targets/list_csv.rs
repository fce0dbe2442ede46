//! A staff company list read as CSV from arbitrary bytes, detected and in each given
//! encoding, and the same bytes through `import::text::decode` (the network's uploads).
//! Every row is read and its warnings and errors formatted; a panic or a hang is a
//! finding.

#![no_main]

use import::Encoding;
use import::list::{self, ListFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = import::text::decode(data) {
        // Decoding never invents text: what comes back is at least the visible bytes.
        assert!(!text.trim().is_empty());
    }
    for encoding in [None, Some(Encoding::Utf8), Some(Encoding::ShiftJis)] {
        let reader = match list::from_bytes(data, ListFormat::Csv(encoding)) {
            Ok(reader) => reader,
            Err(error) => {
                let _ = (error.to_string(), error.code());
                continue;
            }
        };
        let _ = (reader.unknown_headers().len(), reader.encoding());
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
});
