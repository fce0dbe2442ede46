//! What the commands tell the operator outside the log: plain lines for people, or,
//! with `--log-format json`, one JSON object a line shaped like the log's own lines
//! (timestamp, level, target, message), so that a log shipper reading the command's
//! output never meets a line it cannot parse.

use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

/// Chooses JSON lines (`--log-format json`) for the rest of the run.
pub fn use_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

pub fn is_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// One line as a JSON object: the same keys as the log's JSON lines.
pub fn json_line(level: &str, target: &str, message: &str) -> String {
    serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": level,
        "target": target,
        "message": message,
    })
    .to_string()
}

/// A result for the operator, on standard output.
pub fn out(target: &str, message: &str) {
    if is_json() {
        println!("{}", json_line("INFO", target, message));
    } else {
        println!("{message}");
    }
}

/// A remark beside the result (rows refused, columns unused), on standard error.
pub fn note(target: &str, message: &str) {
    if is_json() {
        eprintln!("{}", json_line("WARN", target, message));
    } else {
        eprintln!("{message}");
    }
}

/// The error a command ends with, on standard error: `Error: …` with its causes as
/// people read it, or one JSON line with level ERROR.
pub fn error(error: &anyhow::Error) {
    if is_json() {
        eprintln!("{}", json_line("ERROR", "renkei", &format!("{error:#}")));
    } else {
        eprintln!("Error: {error:?}");
    }
}
