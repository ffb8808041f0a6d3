//! keydesk's shared crate: the domain (pure types and rules, compiled for the browser and the server),
//! the one error type that crosses the wire, the server functions and the Leptos views.
//! The `ssr` feature adds the port the server implements; `hydrate` adds browser-only glue.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
pub mod paths;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use pages::{shell, static_shell, App};
