//! The standard `.fjs` text format of the flexible job-shop benchmarks (Brandimarte,
//! Hurink, Dauzère-Pérès, …), read into and written from a [`Problem`].
//!
//! First line: `#jobs #machines [average flexibility]`; then one line per job: `#operations`,
//! then per operation `#alternatives` followed by that many `machine duration` pairs, with
//! machines numbered from 1. Tabs or spaces separate numbers; blank lines are ignored.
//! The format knows one factory whose machines always work, so calendars, transport,
//! releases and due dates are not written out.
//!
//! The counts in a file are not trusted for memory: nothing is reserved from them, the
//! machine count is limited to [`MAX_MACHINES`] (the problem holds one record per
//! machine) and durations to [`MAX_DURATION`], so a small upload cannot make the
//! server allocate without bound or the router overflow its clock.

use super::model::{Alternative, Job, MAX_DURATION, Operation, Problem};

/// The most machines a `.fjs` header may announce: far beyond the benchmarks (tens) and
/// a council's network (hundreds).
pub const MAX_MACHINES: usize = 10_000;
use thiserror::Error;

/// Why a `.fjs` text could not be read. Lines are 1-based as in an editor; jobs,
/// operations and machines are 1-based as in the file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: the header needs `#jobs #machines [flexibility]`, found {found:?}")]
    BadHeader { line: usize, found: String },
    #[error("line {line}: {token:?} is not a whole number (job {job})")]
    NotANumber {
        line: usize,
        job: usize,
        token: String,
    },
    #[error(
        "line {line}: the header announces {machines} machines; at most {MAX_MACHINES} are read"
    )]
    TooManyMachines { line: usize, machines: usize },
    #[error(
        "line {line}: job {job}, operation {operation} lasts {duration}; durations run up to {MAX_DURATION}"
    )]
    DurationOutOfRange {
        line: usize,
        job: usize,
        operation: usize,
        duration: usize,
    },
    #[error("line {line}: job {job} has no operations")]
    EmptyJob { line: usize, job: usize },
    #[error("line {line}: job {job}, operation {operation} has no machine that can do it")]
    NoAlternatives {
        line: usize,
        job: usize,
        operation: usize,
    },
    #[error(
        "line {line}: job {job}, operation {operation} names machine {machine}, but there are {machines} machines (1..={machines})"
    )]
    MachineOutOfRange {
        line: usize,
        job: usize,
        operation: usize,
        machine: usize,
        machines: usize,
    },
    #[error("line {line}: job {job}, operation {operation} lists machine {machine} twice")]
    DuplicateMachine {
        line: usize,
        job: usize,
        operation: usize,
        machine: usize,
    },
    #[error("line {line}: job {job} ends early: {expected} is missing")]
    Truncated {
        line: usize,
        job: usize,
        expected: &'static str,
    },
    #[error("line {line}: job {job} has {extra} number(s) after its last operation")]
    TrailingNumbers {
        line: usize,
        job: usize,
        extra: usize,
    },
    #[error("the header announces {expected} jobs but the file has {found}")]
    MissingJobs { expected: usize, found: usize },
    #[error("line {line}: unexpected text after the last job")]
    ExtraLines { line: usize },
}

/// Reads a `.fjs` text into a single-factory [`Problem`].
pub fn parse(text: &str) -> Result<Problem, ParseError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let (header_line, header) = lines.next().ok_or(ParseError::Empty)?;
    let bad_header = || ParseError::BadHeader {
        line: header_line,
        found: header.trim().to_owned(),
    };
    let fields: Vec<&str> = header.split_whitespace().collect();
    if fields.len() < 2 || fields.len() > 3 {
        return Err(bad_header());
    }
    let job_count: usize = fields[0].parse().map_err(|_| bad_header())?;
    // Some copies write the machine count as a decimal ("10.0"); accept integral values.
    let machine_count = match fields[1].parse::<usize>() {
        Ok(m) => m,
        Err(_) => match fields[1].parse::<f64>() {
            Ok(m) if m.fract() == 0.0 && (1.0..1e9).contains(&m) => m as usize,
            _ => return Err(bad_header()),
        },
    };
    if machine_count == 0 || (fields.len() == 3 && fields[2].parse::<f64>().is_err()) {
        return Err(bad_header());
    }
    if machine_count > MAX_MACHINES {
        return Err(ParseError::TooManyMachines {
            line: header_line,
            machines: machine_count,
        });
    }

    // Counts are read from the file, so vectors grow with what is actually there.
    let mut jobs = Vec::new();
    for job_number in 1..=job_count {
        let Some((line, text)) = lines.next() else {
            return Err(ParseError::MissingJobs {
                expected: job_count,
                found: job_number - 1,
            });
        };
        jobs.push(parse_job(line, job_number, text, machine_count)?);
    }
    if let Some((line, _)) = lines.next() {
        return Err(ParseError::ExtraLines { line });
    }
    Ok(Problem::single_factory(machine_count, jobs))
}

fn parse_job(line: usize, job: usize, text: &str, machines: usize) -> Result<Job, ParseError> {
    let mut tokens = text.split_whitespace();
    let mut next = |expected: &'static str| -> Result<usize, ParseError> {
        let token = tokens.next().ok_or(ParseError::Truncated {
            line,
            job,
            expected,
        })?;
        token.parse().map_err(|_| ParseError::NotANumber {
            line,
            job,
            token: token.to_owned(),
        })
    };
    let operation_count = next("the number of operations")?;
    if operation_count == 0 {
        return Err(ParseError::EmptyJob { line, job });
    }
    let mut operations = Vec::new();
    for operation in 1..=operation_count {
        let alternative_count = next("the number of alternatives of an operation")?;
        if alternative_count == 0 {
            return Err(ParseError::NoAlternatives {
                line,
                job,
                operation,
            });
        }
        let mut alternatives = Vec::new();
        for _ in 0..alternative_count {
            let machine = next("a machine number")?;
            let duration = next("a duration")?;
            if machine == 0 || machine > machines {
                return Err(ParseError::MachineOutOfRange {
                    line,
                    job,
                    operation,
                    machine,
                    machines,
                });
            }
            let Some(duration) = i64::try_from(duration).ok().filter(|d| *d <= MAX_DURATION) else {
                return Err(ParseError::DurationOutOfRange {
                    line,
                    job,
                    operation,
                    duration,
                });
            };
            if alternatives
                .iter()
                .any(|a: &Alternative| a.machine == machine - 1)
            {
                return Err(ParseError::DuplicateMachine {
                    line,
                    job,
                    operation,
                    machine,
                });
            }
            alternatives.push(Alternative {
                machine: machine - 1,
                duration,
            });
        }
        operations.push(Operation { alternatives });
    }
    let extra = tokens.count();
    if extra > 0 {
        return Err(ParseError::TrailingNumbers { line, job, extra });
    }
    Ok(Job {
        name: format!("J{job}"),
        release: 0,
        due: None,
        operations,
    })
}

/// Writes the jobs and machines of a problem as `.fjs` text (machines 1-based). Factories,
/// calendars, transport, releases, due dates and frozen operations are not part of the
/// format and are left out.
pub fn write(problem: &Problem) -> String {
    use std::fmt::Write;
    let operations = problem.operation_count().max(1);
    let alternatives: usize = problem
        .jobs
        .iter()
        .flat_map(|j| &j.operations)
        .map(|o| o.alternatives.len())
        .sum();
    let mut out = String::new();
    // Writing into a String cannot fail, so the results are ignored.
    let _ = writeln!(
        out,
        "{} {} {}",
        problem.jobs.len(),
        problem.machines.len(),
        trim_decimal(alternatives as f64 / operations as f64)
    );
    for job in &problem.jobs {
        let _ = write!(out, "{}", job.operations.len());
        for operation in &job.operations {
            let _ = write!(out, " {}", operation.alternatives.len());
            for a in &operation.alternatives {
                let _ = write!(out, " {} {}", a.machine + 1, a.duration);
            }
        }
        out.push('\n');
    }
    out
}

fn trim_decimal(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_small_instance_survives_a_round_trip() {
        let text = "2 3 1.5\n2 1 1 5 2 2 3 3 4\n1 1 3 7\n";
        let problem = parse(text).unwrap();
        assert_eq!(problem.jobs.len(), 2);
        assert_eq!(
            problem.jobs[0].operations[1].alternatives[1],
            Alternative {
                machine: 2,
                duration: 4
            }
        );
        let again = parse(&write(&problem)).unwrap();
        assert_eq!(again, problem);
    }

    /// Found by `fuzz/` (target `fjs`): counts were trusted for `Vec::with_capacity`,
    /// so the fuzzer's 58 bytes below asked for 355 GB and aborted the process; a
    /// machine count reserved one record per machine; a duration beyond `i64` wrapped
    /// to a negative one.
    #[test]
    fn huge_counts_and_durations_are_refused_without_reserving_memory() {
        let found = "22 2 1.5\n2 22222222223 1 222222222222 7 1 1 \x01\x00\x0012 4 3 1 86";
        assert_eq!(
            parse(found),
            Err(ParseError::DurationOutOfRange {
                line: 2,
                job: 1,
                operation: 1,
                duration: 222222222222
            })
        );
        let operations = parse("1 2\n2222222222222 1 1 5\n");
        assert!(
            matches!(operations, Err(ParseError::Truncated { line: 2, .. })),
            "{operations:?}"
        );
        let alternatives = parse("1 2\n1 999999999999999 1 5\n");
        assert!(
            matches!(alternatives, Err(ParseError::Truncated { line: 2, .. })),
            "{alternatives:?}"
        );
        assert_eq!(
            parse("99999999999999999 2\n1 1 1 5\n"),
            Err(ParseError::MissingJobs {
                expected: 99999999999999999,
                found: 1
            })
        );
        assert_eq!(
            parse("1 999999999999\n1 1 1 5\n"),
            Err(ParseError::TooManyMachines {
                line: 1,
                machines: 999999999999
            })
        );
        assert_eq!(
            parse("1 2\n1 1 1 18446744073709551615\n"),
            Err(ParseError::DurationOutOfRange {
                line: 2,
                job: 1,
                operation: 1,
                duration: usize::MAX
            })
        );
        let longest = parse(&format!("1 2\n1 1 1 {MAX_DURATION}\n")).unwrap();
        assert_eq!(parse(&write(&longest)), Ok(longest));
    }

    #[test]
    fn tabs_and_a_decimal_machine_count_are_accepted() {
        let problem = parse("1\t2.0\t1\n1\t1\t2\t9\n").unwrap();
        assert_eq!(problem.machines.len(), 2);
        assert_eq!(problem.jobs[0].operations[0].alternatives[0].machine, 1);
    }
}
