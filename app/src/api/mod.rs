//! Server functions, grouped by feature. Each is a few lines: who is asking, call the port, respond.
//! All use POST (the default encoding): nothing that changes state is reachable with GET.

pub mod access_keys;
pub mod activity;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod codecommit;
pub mod credentials;
pub mod deadlines;
pub mod helpdesk;
pub mod mfa;
pub mod password;
pub mod services;
pub mod settings;
