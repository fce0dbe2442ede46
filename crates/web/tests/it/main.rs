//! Integration tests: the real server on port 0 over HTTP, each test on its own
//! fresh database, on SQLite and (with RENKEI_TEST_POSTGRES) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod accounts;
mod api_resources;
mod api_tokens;
mod applications;
mod basics;
mod browser;
mod browser_accounts;
mod caching;
mod demo;
mod digest;
mod directory;
mod directory_api;
mod escaping;
mod events;
mod exports;
mod fairs;
mod flows;
mod forms;
mod groups;
mod harness;
mod hostile;
mod library;
mod matrix;
mod network;
mod notices;
mod open_factory;
mod operations;
mod past;
mod pdf;
mod places;
mod public;
mod public_url;
mod security;
mod signin;
mod signup;
mod surveys;
mod two_step;
