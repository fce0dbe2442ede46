//! The solvers of renkei as pure library code: `fair` places accepted meeting
//! requests of a matching fair (商談会) into slots and tables; `fjsp` routes the
//! operations of multi-process jobs across a network of factories (仲間まわし);
//! `matching` ranks candidates for a need (business matching, designers, seeds,
//! successors, internships) and says why.
//! Nothing here does I/O: callers pass text or values in and get values out.

pub mod fair;
pub mod fjsp;
pub mod matching;
