//! Integration tests: the real server on port 0 over HTTP, each test on its own
//! fresh database, on SQLite and (with RENKEI_TEST_POSTGRES) on PostgreSQL.

mod flows;
mod harness;
mod public;
mod browser;
mod security;
