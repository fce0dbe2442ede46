//! The NTA 法人番号 bulk-file reader on arbitrary bytes: a CSV or a ZIP, in every
//! encoding setting the import offers. Every row is read and its messages formatted;
//! refused rows and unreadable files are fine, a panic or a hang is a finding.

#![no_main]

use import::Encoding;
use import::nta::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for encoding in [None, Some(Encoding::Utf8), Some(Encoding::ShiftJis)] {
        let reader = match Reader::from_bytes(data, encoding) {
            Ok(reader) => reader,
            Err(error) => {
                let _ = (error.to_string(), error.code());
                continue;
            }
        };
        for row in reader {
            match row {
                Ok(record) => {
                    let _ = (record.address(), record.local_gov_code(), record.is_closed());
                }
                Err(error) => {
                    let _ = (error.to_string(), error.code(), error.column());
                }
            }
        }
    }
});
