//! Flexible job-shop routing (仲間まわし): the jobs of 大田区's factory network, each a
//! chain of process steps that several machines in several factories can do, are
//! assigned to machines and start times so that the last one finishes as early as
//! possible, respecting job order, one operation per machine at a time, machine working
//! calendars, transport between factories, release times and — when re-planning — the
//! operations already under way.
//!
//! - [`model`]: the problem ([`Problem`], [`Job`], [`Operation`], [`Machine`],
//!   [`Factory`], [`Calendar`]) and its validation;
//! - [`fjs`]: the `.fjs` benchmark text format, read ([`parse`]) and written ([`write`]);
//! - [`route`]: the router (greedy start, then tabu search on the critical path);
//! - [`check`]: an independent verifier of plans, used by tests and benchmarks.
//!
//! ```
//! use solve::fjsp::{self, Budget};
//! let problem = fjsp::parse("2 2 1.5\n2 2 1 3 2 4 1 2 2\n1 1 1 5\n").unwrap();
//! let plan = fjsp::route(&problem, &Budget::iterations(1000, 1)).unwrap();
//! assert_eq!(fjsp::check(&problem, &plan), Ok(plan.makespan));
//! ```

mod check;
mod construct;
pub mod fjs;
mod instance;
pub mod model;
mod plan;
mod router;
mod schedule;
mod tabu;

pub use check::{Violation, check};
pub use fjs::{MAX_MACHINES, ParseError, parse, write};
pub use model::{
    Alternative, Calendar, FOREVER, Factory, FrozenOperation, Job, MAX_DURATION, Machine,
    Operation, Outage, Problem, ProblemError, Time, Window,
};
pub use plan::{Assignment, JobOutcome, Makespan, Plan, SearchStats};
pub use router::{Budget, Delay, RouteError, route};
