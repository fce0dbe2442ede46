//! The 仲間まわし job import on arbitrary bytes, as an upload takes it: decoded
//! (`import::text::decode`, UTF-8 or Shift_JIS), read as the job CSV
//! (`import::network::job_inputs`) and each job checked (`JobDraft::parse`). Only the
//! machines' existence is left out, which needs the database. Refusals are fine; a
//! panic is a finding, and so is a job accepted with no operation or a machine-less one.

#![no_main]

use domain::network::JobDraft;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match import::text::decode(data) {
        Ok(text) => text,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let inputs = match import::network::job_inputs(&text) {
        Ok(inputs) => inputs,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    for (_, input) in &inputs {
        match JobDraft::parse(input) {
            Ok(draft) => {
                assert!(!draft.operations.is_empty(), "a job without operations");
                for operation in &draft.operations {
                    assert!(
                        !operation.alternatives.is_empty(),
                        "an operation no machine can do"
                    );
                }
                if let Some(due) = draft.due {
                    assert!(due >= draft.release, "a due time before the release");
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
            }
        }
    }
});
