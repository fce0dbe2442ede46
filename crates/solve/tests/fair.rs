//! Integration tests of the matching-fair scheduler.
