//! The 仲間まわし job CSV, in the layout `store::network::csv_rows` writes: one row per
//! operation, the rows of one job sharing the 案件 column, and the columns 案件名, 投入,
//! 納期, 工程 and 設備:分 read (the plan's columns are not). This reads the text into
//! one [`JobInput`] per job, in the order the jobs first appear; checking each job
//! ([`domain::network::JobDraft::parse`]) and its machines is the caller's.

use domain::Invalid;
use domain::network::JobInput;

/// The job key (案件) and what the CSV says of that job. A leading BOM is fine; every
/// reason is a Japanese sentence on the field `file`.
pub fn job_inputs(text: &str) -> Result<Vec<(String, JobInput)>, Invalid> {
    let text = text.trim_start_matches('\u{feff}');
    let invalid = |reason: String| Invalid::new("file", reason);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| invalid(format!("CSVを読めません: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| invalid(format!("CSVに「{name}」の列がありません。")))
    };
    let (c_key, c_name, c_release, c_due, c_process, c_machines) = (
        column("案件")?,
        column("案件名")?,
        column("投入")?,
        column("納期")?,
        column("工程")?,
        column("設備:分")?,
    );
    let mut inputs: Vec<(String, JobInput)> = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("{}行目を読めません: {e}", n + 2)))?;
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        let key = cell(c_key);
        let line = format!("{} {}\n", cell(c_process), cell(c_machines));
        match inputs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, input)) => input.operations.push_str(&line),
            None => inputs.push((
                key,
                JobInput {
                    name: cell(c_name),
                    release: cell(c_release),
                    due: cell(c_due),
                    operations: line,
                },
            )),
        }
    }
    if inputs.is_empty() {
        return Err(invalid("CSVに案件の行がありません。".into()));
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_one_job_become_its_operations_in_order() {
        let text = "\u{feff}案件,案件名,投入,納期,工程,設備:分,開始\r\n\
                    J1,試作,2024-01-09 08:00,,切削,1:90 2:120,\r\n\
                    J2,量産,2024-01-09 08:00,2024-01-12 17:00,研削,3:30,\r\n\
                    J1,試作,,,研削,3:45,\r\n";
        let inputs = job_inputs(text).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[0].0, "J1");
        assert_eq!(inputs[0].1.name, "試作");
        assert_eq!(inputs[0].1.operations, "切削 1:90 2:120\n研削 3:45\n");
        assert_eq!(inputs[1].1.due, "2024-01-12 17:00");
    }

    #[test]
    fn a_missing_column_or_no_rows_is_refused_in_japanese() {
        let missing = job_inputs("案件,案件名,投入,納期,工程\nJ1,a,b,c,d\n").unwrap_err();
        assert_eq!(missing.reason, "CSVに「設備:分」の列がありません。");
        let empty = job_inputs("案件,案件名,投入,納期,工程,設備:分\n").unwrap_err();
        assert_eq!(empty.reason, "CSVに案件の行がありません。");
    }
}
