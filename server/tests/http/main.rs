//! HTTP tests: the real router driven with `tower::ServiceExt::oneshot` (no sockets), a fresh database
//! per test (SQLite, or PostgreSQL when KEYDESK_TEST_POSTGRES_URL is set) and a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // test code: a panic is the failure
use testkit as support;

mod access_keys;
mod admin;
mod auth;
mod certificates;
mod codecommit;
mod directory;
mod entitlements;
mod helpdesk;
mod idp;
mod notices;
mod pages;
mod password_mfa;
mod runtimes;
mod schema;
mod services;
mod settings;
mod temporary;
